"""Batch scoring on AWS: a file put under `[batch] input_prefix` of the data bucket is scored with the champion
by the same scorer `slipstream predict` runs, in a SageMaker processing job (docs/batch.md#on-aws)."""
