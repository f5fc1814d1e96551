"""The command line: `main.py` holds the `slipstream` commands (the console script is `slipstream.cli.main:app`),
`monitor.py` the monitoring ones, `cloud_run.py` the deployed-pipeline runner
(`python -m slipstream.cli.cloud_run`). Commands parse flags, call one library function and render its result.
"""
