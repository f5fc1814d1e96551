"""The documents that cross a seam between the pipeline's parts: what each pipeline Lambda receives and
returns (run, validation, gate, smoke, record), and the deployment record (deployment.py) the API and drift read.

Each is defined once, here, and used by every writer and reader: the Lambda handlers parse their request with
it and return its response, the CDK code builds each LambdaInvoke payload against it (checked at synth, see
cdk/pipeline/payloads.py), and the local runtime produces and reads the same shapes through it. Only pydantic
here: Lambdas without the pandas layer import these modules.
"""
