"""The one row format every benchmark reports: a measured figure beside its floor or peer from the same run.

Timings on a shared machine are noisy, so no figure is judged alone: each row carries the baseline measured
minutes earlier on the same machine, and the goal is a ratio against it (`make bench` prints them all).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Row:
    what: str  # e.g. "1M rows x 32 columns, pipeline wall"
    value: float
    baseline: float
    baseline_name: str  # e.g. "read + split + fit + predict of the same estimator"
    unit: str  # "s", "ms", "rows/s", "req/s", "MiB"
    goal: float | None = None  # the ratio the issue asks for (None: reported only)
    higher_is_better: bool = False  # throughput rows: value / baseline must reach the goal

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        return self.ratio >= self.goal if self.higher_is_better else self.ratio <= self.goal


def render(rows: list[Row]) -> str:
    """A Markdown table: what, value, baseline, ratio, goal, met."""
    lines = ["| what | value | baseline | ratio | goal | met |", "|---|---:|---|---:|---:|:---:|"]
    for row in rows:
        sign = ">=" if row.higher_is_better else "<="
        goal = f"{sign} {row.goal:g}x" if row.goal is not None else "-"
        met = {True: "yes", False: "**no**", None: "-"}[row.met]
        lines.append(
            f"| {row.what} | {row.value:,.2f} {row.unit} | {row.baseline:,.2f} {row.unit} ({row.baseline_name}) "
            f"| {row.ratio:.2f}x | {goal} | {met} |"
        )
    return "\n".join(lines)


def as_json(rows: list[Row]) -> str:
    return json.dumps([asdict(r) | {"ratio": round(r.ratio, 3), "met": r.met} for r in rows], indent=2)
