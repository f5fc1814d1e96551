"""What the local pipeline's steps hand each other through the run folder, as Step Functions does through S3."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slipstream.config import Config


@dataclass
class RunState:
    """What the steps hand each other; also the run's summary at the end."""

    config: Config
    run_id: str
    run_dir: Path
    outputs: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def write_json(self, relative: str, payload: Any) -> Path:
        path = self.run_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
        return path


def new_run(config: Config) -> RunState:
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    run_dir = config.state_path / "runs" / run_id
    run_dir.mkdir(parents=True)
    return RunState(config=config, run_id=run_id, run_dir=run_dir)
