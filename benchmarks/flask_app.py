"""The baseline: a minimal Flask app serving the model the way the seed did (JSON -> DataFrame -> predict).

benchmarks/serving.py runs it under gunicorn on the image's Python (the libraries that pickled the model):
    MODEL_DIR=<model dir> python -m gunicorn -w 2 -b 127.0.0.1:<port> --chdir benchmarks flask_app:app
"""

from __future__ import annotations

import os

import joblib
import pandas as pd
from flask import Flask, jsonify, request

model = joblib.load(os.path.join(os.environ["MODEL_DIR"], "model.joblib"))
app = Flask(__name__)


@app.route("/predict", methods=["POST"])  # Flask 1.1 (the image's) has no app.post
def predict():
    frame = pd.DataFrame(request.get_json()["instances"])
    return jsonify({"predictions": model.predict(frame).tolist(), "probabilities": model.predict_proba(frame).tolist()})
