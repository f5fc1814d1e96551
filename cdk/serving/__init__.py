"""Serving: the prediction API, the predict Lambda, the capture stream and the feedback table."""
