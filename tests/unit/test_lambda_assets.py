"""The serving, monitoring and deployment-record Lambdas' staged code holds every project module their handlers
import, and needs no third-party package beyond their layers (Powertools + pydantic + boto3; AWS SDK for pandas,
which bundles pyarrow, for drift and experiment)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STDLIB_OK = {"__future__"}
LAYERS = {"aws_lambda_powertools", "pydantic", "boto3", "botocore", "typing_extensions"}
FUNCTIONS = {
    "predict": (("warehouse",), LAYERS),
    "slack_notifier": (("monitoring",), LAYERS),
    "drift": (("monitoring", "warehouse"), LAYERS | {"pandas", "numpy", "pyarrow"}),
    "experiment": (("monitoring", "experiment", "warehouse"), LAYERS | {"pandas", "numpy", "pyarrow"}),
    "record_deployment": (("model_card.py",), LAYERS),
}
OURS = ("lambdas", "slipstream")


def _module_file(root: Path, module: str) -> Path | None:
    path = root.joinpath(*module.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(file: Path) -> set[str]:
    """Module-level and function-level imports alike: a lazy import must be packaged too."""
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _closure(root: Path, start: str) -> tuple[set[str], set[str]]:
    """(project modules reached, third-party top-level packages imported) from `start`, inside `root`."""
    import sys

    seen, third_party, todo = set(), set(), [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        file = _module_file(root, module)
        assert file is not None, f"{module} is imported but missing from the staged asset"
        for name in _imports(file):
            top = name.split(".")[0]
            if top in OURS:
                parts = name.split(".")
                todo += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]  # packages' __init__ run too
            elif top not in sys.stdlib_module_names and top not in STDLIB_OK:
                third_party.add(top)
    return seen, third_party


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_staged_asset_holds_every_module_the_handler_imports(name):
    from cdk.shared.lambda_asset import stage_lambda
    from cdk.shared.settings import PROJECT_ROOT

    extra, allowed = FUNCTIONS[name]
    staged = stage_lambda(PROJECT_ROOT, name, extra)
    modules, third_party = _closure(staged, f"lambdas.{name}.handler")
    assert third_party <= allowed, f"{name} imports {sorted(third_party - allowed)}, which no layer provides"
    assert not any(m.startswith("slipstream.local.serving") or m == "slipstream.cli.main" for m in modules)
