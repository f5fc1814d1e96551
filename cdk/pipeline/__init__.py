"""The training pipeline: its Step Functions definition (states per step), Lambdas, SageMaker role,
source archive and triggers."""
