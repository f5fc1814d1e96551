"""A saved account: the data backends, pickled between runs (saved_account.py owns the file)."""

from __future__ import annotations

import pickle
from typing import Any

from slipstream.local.stepfunctions.moto_extensions.endpoints import _PENDING, _deploy, _reveal

# --- A saved account: the data backends, pickled between runs (saved_account.py owns the file) --------------

# The services that hold data a later run reads: objects and bucket settings, keys (bucket encryption and
# objects name them), the registry, models, endpoint configs and endpoints. The rest of the account (roles,
# functions, topics, the state machine) is what a deploy converges to, so each run deploys it afresh.
DATA_BACKENDS = (("moto.s3.models", "s3_backends"), ("moto.kms.models", "kms_backends"))
DATA_BACKENDS += (("moto.sagemaker.models", "sagemaker_backends"),)


def data_backends(account: str) -> dict[str, dict[str, Any]]:
    """`module:attribute` -> region (S3: partition) -> backend, settled: no endpoint is left half-deployed."""
    import importlib

    state = {}
    for module, attribute in DATA_BACKENDS:
        regions = dict(getattr(importlib.import_module(module), attribute)[account])
        for backend in regions.values():
            for endpoint in getattr(backend, "endpoints", {}).values():
                if endpoint.arn in _PENDING:
                    _reveal(endpoint)
        state[f"{module}:{attribute}"] = regions
    return state


def restore_data_backends(account: str, state: dict[str, dict[str, Any]]) -> None:
    """Put saved backends in place (inside `mock_aws`, before the deploy: it reuses their buckets and keys)."""
    import importlib

    for name, regions in state.items():
        module, attribute = name.split(":")
        backends = getattr(importlib.import_module(module), attribute)[account]
        for region, backend in regions.items():
            backends[region] = backend


def restart_endpoints(account: str) -> list[str]:
    """Start the restored endpoints' containers again, once the deploy has recreated the roles they download
    their models as; returns a warning for each endpoint whose model no longer starts (left Failed)."""
    from moto.sagemaker.models import sagemaker_backends

    warnings = []
    for backend in sagemaker_backends[account].values():
        for endpoint in backend.endpoints.values():
            if endpoint.endpoint_status == "InService":
                changed = endpoint.last_modified_time  # a restart of the emulation is no change to the endpoint
                _deploy(backend, endpoint, endpoint.endpoint_config_name, updating=False)
                _reveal(endpoint)
                endpoint.last_modified_time = changed
                if endpoint.failure_reason:
                    warnings.append(f"endpoint {endpoint.endpoint_name}: {endpoint.failure_reason}")
    return warnings


class AccountPickler(pickle.Pickler):
    """KMS keeps a key pair per key as cryptography's Rust objects, which do not pickle: keep them as DER."""

    def reducer_override(self, obj: Any) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        if isinstance(obj, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            der = obj.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _private_key, (der,)
        return NotImplemented


def _private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_private_key(der, None)
