"""The run report: <run folder>/report.html, one small self-contained page a reviewer opens from the run.

Sections: the gate's verdict and reasons, the importance warnings, the held-out metrics, and the permutation
importance of every input column as bars with their spread (docs/explanations.md). Plain HTML and CSS, no
script: a run folder per run should not carry plotly.js (the monitoring report does, for its histograms).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from slipstream.documents.evaluation import Importance
from slipstream.documents.gate import GateDecision
from slipstream.model_card import importance_of

REPORT_FILE = "report.html"
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    ".bar{background:#1565c0;height:12px}.noise{background:#b0bec5}.warn{background:#fff3e0;border-left:4px solid "
    "#ef6c00;padding:6px 10px;margin:6px 0}.bad{color:#c62828;font-weight:bold}.good{color:#2e7d32;font-weight:bold}"
)


def _e(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else _e(value if value is not None else "—")


def _gate(decision: GateDecision) -> str:
    verdict = "<span class='good'>PASSED</span>" if decision.passed else "<span class='bad'>REJECTED</span>"
    reasons = "".join(f"<li>{_e(reason)}</li>" for reason in decision.reasons)
    return f"<h2>Quality gate: {verdict} on {_e(decision.metric)}</h2><ul>{reasons}</ul>"


def _metrics(evaluation: dict[str, Any]) -> str:
    paired = (evaluation.get("comparison") or {}).get("metrics") or {}
    champion = evaluation.get("champion_metrics") or {}
    rows = "".join(
        f"<tr><td>{_e(name)}</td><td>{_fmt(value)}</td><td>{_fmt((paired.get(name) or {}).get('baseline'))}</td>"
        f"<td>{_fmt(champion.get(name))}</td></tr>"
        for name, value in (evaluation.get("metrics") or {}).items()
    )
    header = "<tr><th>metric</th><th>this model</th><th>naive baseline</th><th>champion</th></tr>"
    return f"<h2>Held-out metrics ({_e(evaluation.get('n_test_rows'))} rows)</h2><table>{header}{rows}</table>"


def _importance(importance: Importance | None) -> str:
    if importance is None:
        return "<h2>Feature importance</h2><p>Not computed by the job that evaluated this model.</p>"
    if not importance.features:
        return f"<h2>Feature importance</h2><p>Not computed: {_e(importance.note)}.</p>"
    widest = max(max(f.mean for f in importance.features), 1e-12)
    rows = "".join(
        f"<tr><td>{rank}</td><td>{_e(f.feature)}</td><td>{f.mean:+.4f} ± {f.std:.4f}</td>"
        f"<td style='width:420px'><div class='bar{'' if f.distinguishable else ' noise'}' "
        f"style='width:{max(f.mean, 0.0) / widest * 100:.1f}%'></div></td></tr>"
        for rank, f in enumerate(importance.features, 1)
    )
    header = "<tr><th>rank</th><th>feature</th><th>mean ± std</th><th>importance (grey: not above noise)</th></tr>"
    caption = (
        f"<p>Drop in {_e(importance.metric)} ({_e(importance.orientation)}) when one input column is shuffled: "
        f"{importance.repeats} shuffles of {importance.rows_used} of {importance.rows} held-out rows, seed "
        f"{importance.seed}; above noise when {_e(importance.noise_rule)}.</p>"
    )
    return f"<h2>Feature importance (permutation)</h2>{caption}<table>{header}{rows}</table>"


def write_run_report(path: Path, *, title: str, evaluation: dict[str, Any], decision: GateDecision) -> Path:
    importance = importance_of(evaluation)
    warnings = "".join(
        f"<div class='warn'><b>Warning:</b> {_e(flag.message)}.</div>"
        for flag in (importance.flags if importance else [])
    )
    body = f"<h1>{_e(title)}</h1>{warnings}{_gate(decision)}{_metrics(evaluation)}{_importance(importance)}"
    document = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )
    path.write_text(document, encoding="utf-8")
    return path
