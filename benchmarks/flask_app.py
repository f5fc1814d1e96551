"""The baseline: a minimal Flask app serving the model the way the seed did (JSON -> DataFrame -> predict)."""

from __future__ import annotations

import os
import sys

import joblib
import pandas as pd
from flask import Flask, jsonify, request

model = joblib.load(os.path.join(sys.argv[1], "model.joblib"))
app = Flask(__name__)


@app.post("/predict")
def predict():
    frame = pd.DataFrame(request.get_json()["instances"])
    return jsonify({"predictions": model.predict(frame).tolist(), "probabilities": model.predict_proba(frame).tolist()})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[2]), threaded=True)
