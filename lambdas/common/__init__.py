"""Pieces every Slipstream Lambda shares: the typed environment, S3 URIs, the pipeline event models."""
