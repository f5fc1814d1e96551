"""The SageMaker image the stack runs its jobs and endpoints on, and what the laptop needs to mirror it.

One source for both runtimes: the CDK app names this image (cdk/pipeline/sklearn_image.py), and the local runtime
runs the same scripts in an environment built from this image's own lock file (slipstream/local/image_env.py).
Moving to another image variant means changing it here and adding its folder under images/: the emulation
follows the image, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

IMAGES_DIR = Path(__file__).resolve().parents[1] / "images"


@dataclass(frozen=True)
class ContainerImage:
    repository: str
    framework_version: str
    python: str  # major.minor of the image's interpreter
    tag_suffix: str = "cpu-py3"
    # The image's Dockerfile ENV that jobs see (paths under /opt/ml; the emulation maps them onto its folder).
    environment: dict[str, str] = field(default_factory=dict)
    # `module:function` behind the image's `train` console script, which SageMaker runs when the request
    # names no ContainerEntrypoint (the image sets no ENTRYPOINT: `docker run <image> train`).
    train_script: str = ""

    @property
    def process_environment(self) -> dict[str, str]:
        """The ENV every process in the image sees whatever it runs (interpreter settings, locale): `environment`
        without the job paths and toolkit modules (SM_*, SAGEMAKER_*)."""
        return {k: v for k, v in self.environment.items() if not k.startswith(("SM_", "SAGEMAKER_"))}

    @property
    def tag(self) -> str:
        return f"{self.framework_version}-{self.tag_suffix}"

    @property
    def name(self) -> str:
        """`sagemaker-scikit-learn:1.4-2-cpu-py3`, as the image is named in ECR."""
        return f"{self.repository}:{self.tag}"

    @property
    def folder(self) -> Path:
        """images/<repository>-<version>/: the lock file and the framework package of this image."""
        return IMAGES_DIR / f"{self.repository}-{self.framework_version}"

    @property
    def lock_file(self) -> Path:
        return self.folder / "requirements.lock"

    @property
    def framework_dir(self) -> Path:
        return self.folder / "framework"


# aws/sagemaker-scikit-learn-container, branch v1.4-2: Python 3.10, scikit-learn 1.4.2 (see its requirements.in).
# Its `train` is claimed by both sagemaker-training and sagemaker-containers; in the image sagemaker-containers'
# wins, whose trainer overwrites /opt/ml/output/failure with "framework error: <traceback>": the jobs name
# sagemaker-training's entry point instead (slipstream/job_commands.py), which keeps the script's own reason.
SKLEARN_IMAGE = ContainerImage(
    repository="sagemaker-scikit-learn",
    framework_version="1.4-2",
    python="3.10",
    environment={
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "UTF-8",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "SAGEMAKER_SKLEARN_VERSION": "1.4-2",
        "SAGEMAKER_TRAINING_MODULE": "sagemaker_sklearn_container.training:main",
        "SAGEMAKER_SERVING_MODULE": "sagemaker_sklearn_container.serving:main",
        "SM_INPUT": "/opt/ml/input",
        "SM_INPUT_TRAINING_CONFIG_FILE": "/opt/ml/input/config/hyperparameters.json",
        "SM_INPUT_DATA_CONFIG_FILE": "/opt/ml/input/config/inputdataconfig.json",
        "SM_CHECKPOINT_CONFIG_FILE": "/opt/ml/input/config/checkpointconfig.json",
        "SM_MODEL_DIR": "/opt/ml/model",
    },
    train_script="sagemaker_containers.cli.train:main",
)
