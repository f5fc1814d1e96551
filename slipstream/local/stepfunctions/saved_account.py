"""The emulated AWS account kept between `slipstream run --engine stepfunctions` runs, as a real account is.

What is kept is the account's data: S3 objects and bucket settings, KMS keys, and SageMaker's registry,
models, endpoint configs and endpoints (`moto_extensions.saved.DATA_BACKENDS`). Everything else (roles, functions,
the topic, the state machine) is deployed afresh from the current synthesis at every run, so a changed config
or changed code reaches the account the way `cdk deploy` would bring it there, while the packages, the
champion and the endpoint that serves it stay. Why not pickle the whole account: then every redeploy would
have to diff and update each kind of resource by hand; why not moto's recorder: replaying the requests would
re-run every earlier pipeline.

The file is a pickle: a header (format, moto version) and then the backends. moto is pinned exactly, and a
saved account from another moto or format is refused with a message saying how to start over, never loaded.
It lives in the project's own state folder; like any pickle, only load one you wrote.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path
from typing import Any

from slipstream.config import Config
from slipstream.errors import SlipstreamError

FORMAT = 1
FILE_NAME = "account.pickle"


class SavedAccountError(SlipstreamError):
    """The saved emulated account cannot be read: corrupt, or written by another moto or format."""

    exit_code = 2


def account_dir(config: Config, stage: str) -> Path:
    """One emulated account per stage, as dev, staging and prod usually are separate accounts."""
    return config.state_path / "aws" / stage


def reset(directory: Path) -> None:
    """Forget the saved account: the next run deploys into an empty one."""
    shutil.rmtree(directory, ignore_errors=True)


def load(directory: Path) -> dict[str, Any] | None:
    """The saved backends, or None when nothing is saved yet."""
    path = directory / FILE_NAME
    if not path.is_file():
        return None
    try:
        with path.open("rb") as file:
            header = pickle.load(file)
            problem = _incompatible(header)
            if problem:
                raise SavedAccountError(_message(path, problem))
            state = pickle.load(file)
    except SavedAccountError:
        raise
    except Exception as error:  # any unpickling failure means the same thing to the user: start over
        raise SavedAccountError(_message(path, f"it is unreadable ({type(error).__name__}: {error})")) from None
    if not isinstance(state, dict):
        raise SavedAccountError(_message(path, "it holds no account"))
    return state


def save(directory: Path, state: dict[str, Any]) -> Path:
    """Write atomically: an interrupted save leaves the previous account, never half a file."""
    from slipstream.local.stepfunctions.moto_extensions.saved import AccountPickler

    directory.mkdir(parents=True, exist_ok=True)
    path, partial = directory / FILE_NAME, directory / f"{FILE_NAME}.partial"
    with partial.open("wb") as file:
        pickle.dump(_header(), file)  # its own pickle, readable before the backends' classes are needed
        AccountPickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    os.replace(partial, path)
    return path


def _header() -> dict[str, Any]:
    import moto

    return {"format": FORMAT, "moto": moto.__version__}


def _incompatible(header: Any) -> str | None:
    current = _header()
    if not isinstance(header, dict) or "format" not in header:
        return "it is not a saved Slipstream account"
    if header.get("format") != current["format"]:
        return f"it has format {header.get('format')}, this version of Slipstream reads format {FORMAT}"
    if header.get("moto") != current["moto"]:
        return f"it was written by moto {header.get('moto')}, this emulation runs moto {current['moto']}"
    return None


def _message(path: Path, problem: str) -> str:
    return (
        f"the emulated AWS account saved in {path} cannot be used: {problem}. Start from an empty account with "
        f"`slipstream run --engine stepfunctions --fresh` (or delete {path.parent})"
    )
