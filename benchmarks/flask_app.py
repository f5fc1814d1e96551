"""The baseline: a minimal Flask app serving the model the way the seed did (JSON -> DataFrame -> predict).

benchmarks/serving.py runs it under gunicorn on the image's Python (the libraries that pickled the model):
    MODEL_DIR=<model dir> python -m gunicorn -w 2 -b 127.0.0.1:<port> --chdir benchmarks flask_app:app
"""

from __future__ import annotations

import os
import warnings

import joblib
import pandas as pd
from flask import Flask, jsonify, request

# A positional model (fitted on arrays) warns on every DataFrame; the seed's app never printed that line per
# request, so the peer does not pay for writing it (the DataFrame's checks it keeps: that is the seed's path).
warnings.filterwarnings("ignore", message="X has feature names")
model = joblib.load(os.path.join(os.environ["MODEL_DIR"], "model.joblib"))
app = Flask(__name__)


@app.route("/predict", methods=["POST"])  # Flask 1.1 (the image's) has no app.post
def predict():
    frame = pd.DataFrame(request.get_json()["instances"])
    return jsonify({"predictions": model.predict(frame).tolist(), "probabilities": model.predict_proba(frame).tolist()})
