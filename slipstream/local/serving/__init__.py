"""`slipstream serve`: the predict Lambda behind a local API Gateway stand-in, and a local SageMaker endpoint.

front_server.py  HTTP -> API Gateway REST proxy event -> lambdas.predict.handler (no ML libraries)
endpoint_server.py  POST /endpoints/{name}/invocations -> inference/inference.py on registered versions
supervisor.py    resolves the registry, writes the deployment record, starts and stops both
"""
