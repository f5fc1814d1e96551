"""The container-faithful environment: the image's Python and pinned libraries, in a virtualenv of its own.

SageMaker runs our scripts on the image's interpreter and libraries, not the laptop's, so the local runtime
runs them in a virtualenv built from the image's lock file (images/<image>/requirements.lock) on the same
Python minor version. `make install` builds it: `python -m slipstream.local.image_env build`.

The interpreter is found on this machine (pyenv's versions, uv's managed Pythons, `python3.X` on PATH) or,
where the network allows, installed by uv; when neither works the build stops with a message naming the
version. Nothing here imports scikit-learn or pandas: this module runs on the laptop's side.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import typer

from slipstream.errors import SlipstreamError
from slipstream.image import SKLEARN_IMAGE, ContainerImage

ENVS_DIR = Path(__file__).resolve().parents[2] / ".venv-images"
STAMP = ".image-lock.sha256"
SITE_PACKAGES = "import sysconfig; print(sysconfig.get_path('purelib'))"
# The image's final Dockerfile rewrites this for Python 3.10 (collections.Mapping moved to collections.abc);
# without the same edit, sagemaker_containers cannot be imported at all.
CONTAINERS_MAPPING_FIX = ("sagemaker_containers/_mapping.py", "collections.Mapping", "collections.abc.Mapping")
# Bumped when build() changes what it makes of the lock (an environment built the old way is rebuilt).
RECIPE = "3: bin/train is the image's train_script; the zygote's hook"
ZYGOTE_HOOK = "_slipstream_zygote.pth"
# One line, run by site.py in every interpreter of the environment; inert unless the job names a zygote.
ZYGOTE_HOOK_LINE = (
    'import os; os.environ.get("SLIPSTREAM_ZYGOTE_SOCKET") and __import__("_slipstream_zygote").divert()\n'
)
ZYGOTE_LAUNCHER = Path(__file__).resolve().parent / "zygote_launcher.py"
CONSOLE_SCRIPT = """#!{python}
# The image's `train` (slipstream/image.py train_script): written by slipstream.local.image_env.
import sys
from {module} import {function}
if __name__ == "__main__":
    sys.argv[0] = "train"
    sys.exit({function}())
"""


class ImageEnvError(SlipstreamError):
    exit_code = 2


def env_dir(image: ContainerImage = SKLEARN_IMAGE) -> Path:
    return ENVS_DIR / image.folder.name


def helper_env(image: ContainerImage = SKLEARN_IMAGE) -> dict[str, str]:
    """For a helper the laptop runs on the image's interpreter outside any job (reading a model, checking an
    estimator): the image's interpreter and locale settings, one BLAS thread, nothing of the laptop's. The same
    import-time environment as the evaluation jobs', so it forks from their zygote."""
    return {"PATH": "/usr/bin:/bin", **image.process_environment, "OMP_NUM_THREADS": "1"}


def image_python(image: ContainerImage = SKLEARN_IMAGE) -> Path:
    """The interpreter of the image's environment; raises when it is missing or built from another lock."""
    python = env_dir(image) / "bin" / "python"
    stamp = env_dir(image) / STAMP
    if not python.is_file() or not stamp.is_file() or stamp.read_text(encoding="utf-8") != _fingerprint(image):
        raise ImageEnvError(
            f"the environment that mirrors the SageMaker image {image.name} (Python {image.python}) is missing or "
            f"out of date at {env_dir(image)}",
            details=["build it with `make install` (or `.venv/bin/python -m slipstream.local.image_env build`)"],
        )
    return python


def _fingerprint(image: ContainerImage) -> str:
    """Changes when the lock changes (a rebuild); the framework package is on the path, not installed."""
    return hashlib.sha256(image.lock_file.read_bytes() + RECIPE.encode()).hexdigest()


def _version_of(python: Path | str) -> str | None:
    try:
        done = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.is_file() else (shutil.which("uv") or "uv")


def _candidates(version: str) -> list[Path | str]:
    """Where a CPython `version` may already be: pyenv (by path: its shims refuse unselected versions),
    uv's managed Pythons, then PATH."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found: list[Path | str] = sorted(root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    try:
        located = subprocess.run([_uv(), "python", "find", version], capture_output=True, text=True, timeout=60)
        if located.returncode == 0 and located.stdout.strip():
            found.append(located.stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        pass
    on_path = shutil.which(f"python{version}")
    return [*found, *([on_path] if on_path else [])]


def find_interpreter(version: str, *, allow_download: bool = True) -> str:
    for candidate in _candidates(version):
        if _version_of(candidate) == version:
            return str(candidate)
    if allow_download:
        installed = subprocess.run([_uv(), "python", "install", version], capture_output=True, text=True, check=False)
        if installed.returncode == 0:
            for candidate in _candidates(version):
                if _version_of(candidate) == version:
                    return str(candidate)
    raise ImageEnvError(
        f"Python {version} is needed: the SageMaker image runs our scripts on it, and so does the local runtime",
        details=[
            "looked in pyenv's versions, uv's managed Pythons and PATH"
            + ("; `uv python install` could not fetch it either" if allow_download else ""),
            f"install Python {version} (e.g. `uv python install {version}` or `pyenv install {version}`), "
            "then run `make install` again",
        ],
    )


def build(image: ContainerImage = SKLEARN_IMAGE, *, allow_download: bool = True) -> Path:
    """Create (or bring up to date) the image's environment; returns its interpreter."""
    target = env_dir(image)
    interpreter = find_interpreter(image.python, allow_download=allow_download)
    python = target / "bin" / "python"
    if _version_of(python) != image.python:
        shutil.rmtree(target, ignore_errors=True)
        _run([_uv(), "venv", "--quiet", "--python", interpreter, str(target)], "create the virtualenv")
    (target / STAMP).unlink(missing_ok=True)  # a half-synced environment must not look ready
    _run(
        [_uv(), "pip", "sync", "--quiet", "--compile-bytecode", "--python", str(python), str(image.lock_file)],
        f"install {image.lock_file.relative_to(image.folder.parent.parent)}",
    )
    site = Path(subprocess.check_output([str(python), "-c", SITE_PACKAGES], text=True).strip())
    _apply_image_fix(site)
    _zygote_hook(site)
    _image_train_script(image, python)
    # The image installs its framework package (sagemaker_sklearn_container) from its own repository, which is
    # not on PyPI; ours stands in for it (images/<image>/framework), found the same way: on sys.path.
    (site / "slipstream_image_framework.pth").write_text(f"{image.framework_dir}\n", encoding="utf-8")
    (target / STAMP).write_text(_fingerprint(image), encoding="utf-8")
    return python


def _apply_image_fix(site: Path) -> None:
    relative, old, new = CONTAINERS_MAPPING_FIX
    path = site / relative
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(new, old).replace(old, new), encoding="utf-8")


def zygote_hook(image: ContainerImage = SKLEARN_IMAGE) -> Path:
    """The hook's .pth (slipstream/local/image_zygote.py): absent in an environment built before it."""
    return next(env_dir(image).glob(f"lib/python*/site-packages/{ZYGOTE_HOOK}"), env_dir(image) / ZYGOTE_HOOK)


def _zygote_hook(site: Path) -> None:
    # A link, not a copy: the launcher stays the checkout's own file, edited without a rebuild.
    module = site / "_slipstream_zygote.py"
    module.unlink(missing_ok=True)
    module.symlink_to(ZYGOTE_LAUNCHER)
    (site / ZYGOTE_HOOK).write_text(ZYGOTE_HOOK_LINE, encoding="utf-8")


def _image_train_script(image: ContainerImage, python: Path) -> None:
    """Two packages install a `train` console script and which one wins depends on install order; make it the
    one the image ends up with, so a job without a ContainerEntrypoint fails (or succeeds) as on AWS."""
    if image.train_script:
        module, function = image.train_script.split(":")
        script = python.parent / "train"
        script.write_text(CONSOLE_SCRIPT.format(python=python, module=module, function=function), encoding="utf-8")
        script.chmod(0o755)


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-10:]
        raise ImageEnvError(f"could not {what} for the image environment", details=tail)


cli = typer.Typer(add_completion=False, help=__doc__)


@cli.command("build")
def build_command(offline: bool = typer.Option(False, help="never download an interpreter")) -> None:
    """Build the environment that mirrors the stack's SageMaker image."""
    try:
        python = build(allow_download=not offline)
    except ImageEnvError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None
    typer.echo(f"{SKLEARN_IMAGE.name}: Python {SKLEARN_IMAGE.python} environment ready at {python.parent.parent}")


@cli.command("python")
def python_command() -> None:
    """Print the environment's interpreter (exit 2 when it is not built)."""
    try:
        typer.echo(str(image_python()))
    except ImageEnvError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(error.exit_code) from None


if __name__ == "__main__":
    cli()
