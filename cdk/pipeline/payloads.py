"""The state machine's side of the pipeline Lambdas' documents (slipstream/documents), checked while the app is
synthesized: each LambdaInvoke payload against the Lambda's request model, and each JSONPath that reads a
Lambda's result (or the execution input) against the model that result has. A renamed, missing or misspelt
field fails `cdk synth` with the state, the key and the model named, instead of failing a run.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

from pydantic import BaseModel

if TYPE_CHECKING:
    from aws_cdk import aws_stepfunctions as sfn

# A reference path inside a JSONPath value or an intrinsic (States.Format(..., $.a.b)); not `$$.` (the context).
_PATH = re.compile(r"(?<![$\w])\$(?:\.[A-Za-z_]\w*|\[\d+\])*(?![$\w])")


class PayloadError(ValueError):
    """A state machine payload or path that the documents it should match do not allow."""


@dataclass(frozen=True)
class Result:
    """Where in the execution's state a document lands (`$` is the execution input), and its model."""

    path: str
    model: type[BaseModel]

    def field(self, *names: str) -> str:
        """The JSONPath of a field (or a nested field) of this document; raises PayloadError if it has none."""
        annotation_at(self, list(names))
        return ".".join([self.path, *names])

    def names(self) -> list[str]:
        return _segments(self.path)


def annotation_at(result: Result, names: Sequence[str]) -> Any:
    """The type of `result.<names...>`: a model, a plain type, or Any where the document stops saying (a dict)."""
    model: Any = result.model
    for depth, name in enumerate(names):
        if not _is_model(model):
            return Any  # inside a dict or list: the document gives no field names to check
        if name not in model.model_fields:
            where = ".".join([result.path, *names[:depth]])
            raise PayloadError(
                f"{where}.{name}: {model.__name__} has no field {name!r} (fields: {', '.join(model.model_fields)})"
            )
        model = _model_in(model.model_fields[name].annotation)
    return model


def resolve(path: str, results: Iterable[Result]) -> Any | None:
    """The type at a JSONPath, if it points into a known document (else None: a Pass state's or a service's)."""
    segments = _segments(path)
    for result in sorted(results, key=lambda r: len(r.names()), reverse=True):
        prefix = result.names()
        if prefix and segments[: len(prefix)] == prefix:
            return annotation_at(result, segments[len(prefix) :])
        # The execution's state starts as the execution input and gains every result: only its own fields are its.
        if not prefix and segments and segments[0] in result.model.model_fields:
            return annotation_at(result, segments)
    return None


def check_payload(
    state_id: str, request: type[BaseModel], payload: Mapping[str, Any], results: Iterable[Result]
) -> None:
    """Raise PayloadError naming the state, the key and the model when `payload` does not build a `request`."""
    from aws_cdk import aws_stepfunctions as sfn  # here, not at the top: see check_definition

    problems = _payload_problems(request, sfn.FieldUtils.render_object(payload) or {}, list(results), "")
    if problems:
        raise PayloadError(f"{state_id}: the payload does not fit {request.__name__}: " + "; ".join(problems))


def check_definition(start: sfn.IChainable, results: Iterable[Result]) -> None:
    """Every path a state reads must start at the execution input or at what some state writes (its ResultPath),
    and where it points into a known document, name a field that document has."""
    # Imported here because the local Step Functions engine reads Result (results.py) from this module, and
    # importing aws_cdk starts jsii's node process: seconds per `slipstream run` for nothing it uses.
    from aws_cdk import aws_stepfunctions as sfn

    results = list(results)
    states = sfn.State.find_reachable_states(start.start_state, include_error_handlers=True)
    rendered = {state.state_id: state.to_state_json() for state in states}
    written = {name for result in results if not result.names() for name in result.model.model_fields}
    written |= {_segments(path)[0] for state_json in rendered.values() for path in _written(state_json)}
    for state_id, state_json in rendered.items():
        for path in read_paths(state_json):
            segments = _segments(path)
            if segments and segments[0] not in written:
                raise PayloadError(f"{state_id}: reads {path}, but neither the execution input nor any state writes it")
            try:
                resolve(path, results)
            except PayloadError as error:
                raise PayloadError(f"{state_id}: reads {error}") from None


def _payload_problems(model: type[BaseModel], rendered: Mapping[str, Any], results: list[Result], at: str) -> list[str]:
    given = {key.removesuffix(".$"): (key.endswith(".$"), value) for key, value in rendered.items()}
    fields = model.model_fields
    problems = [f"key '{at}{name}' is not a field of {model.__name__}" for name in given if name not in fields]
    problems += [
        f"required field '{at}{name}' of {model.__name__} is missing"
        for name, info in fields.items()
        if info.is_required() and name not in given
    ]
    for name, (is_path, value) in given.items():
        if name in fields:
            problems += _value_problems(f"{at}{name}", fields[name].annotation, is_path, value, results)
    return problems


def _value_problems(name: str, annotation: Any, is_path: bool, value: Any, results: list[Result]) -> list[str]:
    target = _model_in(annotation)
    if isinstance(value, Mapping) and _is_model(target):
        return _payload_problems(target, value, results, f"{name}.")
    if not is_path:
        return []
    try:
        sources = [(path, resolve(path, results)) for path in _PATH.findall(str(value))]
    except PayloadError as error:
        return [f"key {name!r} reads {error}"]
    whole = len(sources) == 1 and sources[0][0] == value  # the value is one path, not an intrinsic built of some
    if whole and not _fits(sources[0][1], annotation):
        return [f"key {name!r} reads {value} ({_name(sources[0][1])}), but the field is {_name(annotation)}"]
    return []


def _fits(source: Any, annotation: Any) -> bool:
    if source is None or source is Any:
        return True  # not a document we know: nothing to compare
    return source == annotation or source in _union_args(annotation)


def _model_in(annotation: Any) -> Any:
    """`X | None` -> X when X is a model (an optional nested document is still that document)."""
    models = [arg for arg in _union_args(annotation) if _is_model(arg)]
    return models[0] if len(models) == 1 else annotation


def _union_args(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else ()


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _name(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


def _segments(path: str) -> list[str]:
    """`$.a.b[0].c` -> ["a", "b", "c"]: list indexes do not name fields."""
    return [part for part in re.sub(r"\[\d+\]", "", path).split(".")[1:] if part]


def read_paths(state_json: Mapping[str, Any]) -> list[str]:
    """Every path into the execution's state that a rendered state reads (not `$$.` context paths)."""
    return [path for text in _read_strings(state_json) for path in _PATH.findall(text) if _segments(path)]


def _read_strings(value: Any) -> Iterable[str]:
    """The strings in a state's JSON that read the state: `….$` values, InputPath, Variable, `…Path` operands.
    Not ResultSelector (it reads the task's own result) nor ResultPath (a write)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in ("ResultSelector", "ResultPath"):
                continue
            if isinstance(item, str) and (key.endswith(".$") or key.endswith("Path") or key == "Variable"):
                yield item
            else:
                yield from _read_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _read_strings(item)


def _written(state_json: Mapping[str, Any]) -> Iterable[str]:
    """Where a state, or its Catch, puts its result."""
    for item in (state_json, *state_json.get("Catch", [])):
        path = item.get("ResultPath")
        if isinstance(path, str) and _segments(path):
            yield path
