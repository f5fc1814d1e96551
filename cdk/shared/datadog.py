"""Datadog on every Slipstream Lambda of a stack, through Datadog's own CDK construct library.

Called once per stack by cdk/app.py after the stack is built, so no function can be forgotten and no stack
code changes; with Datadog off for the stage it adds nothing (the templates stay as they were).

What the construct does to each function: adds the Datadog-Python and Datadog-Extension layers (the arm64
builds for our arm64 functions), points the handler at Datadog's wrapper (the original stays in
DD_LAMBDA_HANDLER), and sets DD_* variables; the Extension reads the API key from Secrets Manager at run time
(DD_API_KEY_SECRET_ARN, with GetSecretValue granted to the function's role), so the key is never in a
template or in plain text. Payload capture stays off: requests carry the model's features.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from datadog_cdk_constructs_v2 import DatadogDefaultLayerVersions, DatadogLambda

from cdk.shared.lambda_function import SlipstreamFunction
from cdk.shared.nag import acknowledge
from cdk.shared.settings import DeploySettings


def instrument_functions(stack: Stack, settings: DeploySettings) -> DatadogLambda | None:
    """Instrument every SlipstreamFunction in `stack`; None when Datadog is off or the stack has none."""
    datadog = settings.datadog
    functions = [c.function for c in stack.node.find_all() if isinstance(c, SlipstreamFunction)]
    if datadog is None or not functions:
        return None
    secret = secretsmanager.Secret.from_secret_name_v2(
        stack, "DatadogApiKey", datadog.secret_name(settings.config.name)
    )
    instrumentation = DatadogLambda(
        stack,
        "Datadog",
        site=datadog.site,
        api_key_secret=secret,
        python_layer_version=datadog.python_layer_version or DatadogDefaultLayerVersions.PYTHON,
        extension_layer_version=datadog.extension_layer_version or DatadogDefaultLayerVersions.EXTENSION,
        env=settings.stage_name,
        service=settings.config.name,
        enable_datadog_tracing=True,
        enable_merge_xray_traces=True,  # Powertools' X-Ray segments join Datadog's traces
        enable_datadog_logs=True,
        capture_lambda_payload=False,
        tags=f"slipstream:project:{settings.config.name},slipstream:stage:{settings.stage_name}",
    )
    instrumentation.add_lambda_functions(functions)
    for function in functions:
        acknowledge(
            function.role or function,
            "AwsSolutions-IAM5",
            "Datadog's construct grants GetSecretValue on the API key secret by name (`<name>-??????`): the "
            "secret's random suffix is not known at synth time.",
        )
    return instrumentation
