"""Run SageMaker jobs on a laptop the way the container runs them: on the image's Python and toolkits
(slipstream/local/image_env.py), with `/opt/ml` mapped onto a folder of the run, in a clean environment.

Training: the toolkit's trainer (the request's ContainerEntrypoint, else the image's own `train`) reads
`<base>/input/config/*.json`, extracts the sourcedir named by `sagemaker_submit_directory` and runs
`sagemaker_program` with its own hyperparameter encoding; `SAGEMAKER_BASE_DIR` (the toolkit's own setting)
relocates `/opt/ml`. Processing: ContainerEntrypoint and ContainerArguments as written, `/opt/ml` mapped the
same way in both, with `python3` on PATH being the image's interpreter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from slipstream.errors import StepFailed
from slipstream.image import SKLEARN_IMAGE
from slipstream.local import image_zygote
from slipstream.local.image_env import image_python
from slipstream.local.parent_death import die_with_parent

OPT_ML = "/opt/ml"
STDERR_TAIL_LINES = 15
# One host, as SageMaker names a single-instance job. The toolkit resolves every host before running the script
# (retrying for 15 minutes); SM_STUDIO_LOCAL_MODE, the toolkit's switch for local runs, skips only that lookup.
HOST = "algo-1"


def map_opt_ml(text: str, opt_ml: Path) -> str:
    """What the container's `/opt/ml` mount means here: the same prefix, on this job's folder."""
    return text.replace(OPT_ML, str(opt_ml))


def container_env(opt_ml: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The image's environment and nothing of the laptop's (no PYTHONPATH, VIRTUAL_ENV or credentials)."""
    home = opt_ml.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{image_python().parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        **SKLEARN_IMAGE.environment,
        **(extra or {}),
        # The toolkits' own relocation of /opt/ml; our scripts' /opt/ml defaults follow it too (sm_paths.sm_dir),
        # which is how a processing job's /opt/ml/output/message lands in this folder. Unset on AWS.
        "SAGEMAKER_BASE_DIR": OPT_ML,
    }
    return {name: map_opt_ml(value, opt_ml) for name, value in env.items()}


def _run(command: Sequence[str], opt_ml: Path, env: dict[str, str], step: str) -> subprocess.CompletedProcess[str]:
    mapped = [map_opt_ml(part, opt_ml) for part in command]
    try:
        # A run killed outright (kill -9) must not leave its job running on, writing into a dead run's folder.
        done = subprocess.run(
            mapped,
            cwd=opt_ml,
            env=image_zygote.job_env(env),
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=die_with_parent(),
        )
    except OSError as error:  # e.g. an entrypoint naming a program the image does not have
        raise StepFailed(f"{step} failed: could not start {mapped[0]!r}: {error.strerror}") from None
    (opt_ml.parent / f"{step.lower()}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    return done


def _failed(step: str, done: subprocess.CompletedProcess[str], reason_file: Path) -> StepFailed:
    reason = reason_file.read_text(encoding="utf-8").strip() if reason_file.is_file() else ""
    tail = done.stderr.strip().splitlines()[-STDERR_TAIL_LINES:]
    return StepFailed(
        f"{step} failed (exit code {done.returncode}){': ' + reason if reason else ''}",
        details=[f"stderr: {line}" for line in tail],
    )


def _copy_into(source: Path, target: Path) -> None:
    if source.resolve() == target.resolve():
        return  # already downloaded in place
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / source.name)


def write_training_config(opt_ml: Path, hyperparameters: Mapping[str, str], channels: Sequence[str]) -> None:
    """input/config/*.json, as SageMaker writes them before it starts the container."""
    config = opt_ml / "input" / "config"
    config.mkdir(parents=True, exist_ok=True)
    data_config = {name: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"} for name in channels}
    resources = {
        "current_host": HOST,
        "hosts": [HOST],
        "current_group_name": "homogeneousCluster",
        "instance_groups": [{"instance_group_name": "homogeneousCluster", "hosts": [HOST]}],
        "network_interface_name": "eth0",
    }
    for name, payload in (
        ("hyperparameters.json", dict(hyperparameters)),
        ("inputdataconfig.json", data_config),
        ("resourceconfig.json", resources),
    ):
        (config / name).write_text(json.dumps(payload), encoding="utf-8")


def run_training_job(
    opt_ml: Path,
    *,
    channels: Mapping[str, Path],
    hyperparameters: Mapping[str, str],
    entrypoint: Sequence[str] | None = None,
    arguments: Sequence[str] = (),
    environment: Mapping[str, str] | None = None,
) -> Path:
    """A training job rooted at `opt_ml`; `hyperparameters` as the request carries them (JSON-encoded strings),
    `sagemaker_submit_directory` naming a local sourcedir (.tar.gz or folder). Returns the model folder."""
    for folder in (opt_ml / "model", opt_ml / "output" / "data"):
        folder.mkdir(parents=True, exist_ok=True)
    for name, source in channels.items():
        _copy_into(source, opt_ml / "input" / "data" / name)
    write_training_config(opt_ml, hyperparameters, sorted(channels))
    command = [*entrypoint, *arguments] if entrypoint else ["train"]
    env = container_env(opt_ml, {**(environment or {}), "SM_STUDIO_LOCAL_MODE": "true"})
    done = _run(command, opt_ml, env, "Train")
    if done.returncode != 0:
        raise _failed("Train", done, opt_ml / "output" / "failure")
    return opt_ml / "model"


def archive_model(model_dir: Path, archive: Path) -> Path:
    """SageMaker's model.tar.gz of /opt/ml/model at the end of a training job: the folder's contents at the root."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(model_dir.rglob("*")):
            tar.add(path, arcname=path.relative_to(model_dir).as_posix(), recursive=False)
    return archive


def run_processing_job(
    opt_ml: Path,
    *,
    entrypoint: Sequence[str],
    arguments: Sequence[str],
    inputs: Mapping[str, Path],
    outputs: Sequence[str],
    environment: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """A processing job: each input copied to its LocalPath (`/opt/ml/processing/...`, mapped), the entrypoint
    and arguments run as written. Returns each output's LocalPath -> its folder here."""
    for local_path, source in inputs.items():
        _copy_into(source, Path(map_opt_ml(local_path, opt_ml)))
    folders = {local_path: Path(map_opt_ml(local_path, opt_ml)) for local_path in outputs}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    done = _run([*entrypoint, *arguments], opt_ml, container_env(opt_ml, environment), "Evaluate")
    if done.returncode != 0:
        raise _failed("Evaluate", done, opt_ml / "output" / "message")
    return folders
