"""The SageMaker image the stack runs its jobs and endpoints on, and what the laptop needs to mirror it.

One source for both runtimes: the CDK app names this image (cdk/sklearn_image.py), and the local runtime
runs the same scripts in an environment built from this image's own lock file (slipstream/local/image_env.py).
Moving to another image variant means changing it here and adding its folder under images/: the emulation
follows the image, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

IMAGES_DIR = Path(__file__).resolve().parents[1] / "images"


@dataclass(frozen=True)
class ContainerImage:
    repository: str
    framework_version: str
    python: str  # major.minor of the image's interpreter
    tag_suffix: str = "cpu-py3"

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
SKLEARN_IMAGE = ContainerImage(repository="sagemaker-scikit-learn", framework_version="1.4-2", python="3.10")
