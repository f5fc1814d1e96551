"""The experiment report: one self-contained HTML file, like the monitoring report (plotly.js inline).

Sections: the decision with its figures; each variant's mean outcome over time and the effect's interval
narrowing (ExperimentResult.history); assignments against the weight; guardrails; shadow mode's agreement
and latency when requests were mirrored.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from slipstream.experiment.result import ExperimentResult
from slipstream.local.experiments import Experiment
from slipstream.local.monitoring.report import page, plot

CHAMPION, CHALLENGER, BAND = "#1565c0", "#ef6c00", "rgba(239,108,0,0.18)"


def write_report(result: ExperimentResult, experiment: Experiment, path: Path, name: str) -> Path:
    parts = [_summary(result, experiment, name)]
    if result.history:
        parts.append(plot(_over_time(result)))
    else:
        parts.append(f"<p>No look yet: each variant needs labelled rows first. {_e(result.reason)}.</p>")
    parts.append(plot(_assignments(result)))
    parts.append("<h2>Guardrails</h2>" + _guardrails(result))
    if result.shadow is not None:
        parts.append("<h2>Shadow mode</h2>" + _shadow_text(result))
        parts.append(plot(_shadow_latency(result)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(f"{name}: experiment", "\n".join(parts)), encoding="utf-8")
    return path


def _summary(result: ExperimentResult, experiment: Experiment, name: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    interval = result.interval
    shown = f"[{interval.lower:+.4f}, {interval.upper:+.4f}]" if interval else "not yet"
    effect = "—" if result.effect is None else f"{result.effect:+.4f}"
    verdict = "good" if result.decision == "challenger better" else "bad" if "better" in result.decision else ""
    return (
        f"<h1>{_e(name)}: {_e(experiment.describe())}</h1><p>{when} · metric {_e(result.metric)} "
        f"({'lower' if result.lower_is_better else 'higher'} is better) · alpha {result.alpha:g} · minimum effect "
        f"{result.minimum_effect:g} · weight {result.weight:.0%}</p>"
        f"<p class='{verdict}'>Decision: {_e(result.decision)} (action: {_e(result.action)})</p>"
        f"<p>{_e(result.reason)}</p><p>Effect (challenger - champion): {effect}; {1 - result.alpha:.0%} "
        f"always-valid interval {shown}; p = {result.p_value:.3g}</p>"
    )


def _over_time(result: ExperimentResult) -> go.Figure:
    looks = result.history
    rows = [look.n_champion + look.n_challenger for look in looks]
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
        subplot_titles=(f"Mean {result.metric} per variant", "Effect and its always-valid interval"),
    )  # fmt: skip
    for label, colour, values in (
        ("champion", CHAMPION, [look.mean_champion for look in looks]),
        ("challenger", CHALLENGER, [look.mean_challenger for look in looks]),
    ):
        figure.add_scatter(x=rows, y=values, name=label, line_color=colour, row=1, col=1)
    figure.add_scatter(x=rows, y=[look.upper for look in looks], line_width=0, showlegend=False, row=2, col=1)
    figure.add_scatter(x=rows, y=[look.lower for look in looks], fill="tonexty", fillcolor=BAND, line_width=0,
                       name="interval", row=2, col=1)  # fmt: skip
    figure.add_scatter(x=rows, y=[look.estimate for look in looks], name="effect", line_color=CHALLENGER, row=2, col=1)
    for y, dash in ((0.0, "solid"), (result.minimum_effect, "dot"), (-result.minimum_effect, "dot")):
        figure.add_hline(y=y, line_dash=dash, line_color="#616161", row=2, col=1)
    figure.update_xaxes(title="labelled rows (both variants)", row=2, col=1)
    figure.update_layout(height=640, title="Outcome over time (dotted: ± minimum effect)")
    return figure


def _assignments(result: ExperimentResult) -> go.Figure:
    ratio = result.sample_ratio
    total = ratio.champion + ratio.challenger
    expected = [total * (1 - ratio.expected_share), total * ratio.expected_share]
    figure = go.Figure()
    figure.add_bar(x=["champion", "challenger"], y=[ratio.champion, ratio.challenger], name="requests",
                   marker_color=[CHAMPION, CHALLENGER])  # fmt: skip
    figure.add_scatter(x=["champion", "challenger"], y=expected, mode="markers", name="expected by the weight",
                       marker={"symbol": "line-ew-open", "size": 40, "color": "#212121"})  # fmt: skip
    status = "MISMATCH" if ratio.mismatch else "ok"
    figure.update_layout(title=f"Assignments against the weight: sample ratio {status} (p = {ratio.p_value:.3g})",
                         height=380)  # fmt: skip
    return figure


def _guardrails(result: ExperimentResult) -> str:
    head = "<tr><th>Variant</th><th>Guardrail</th><th>Value</th><th>Ceiling</th><th>Status</th></tr>"
    rows = []
    for rail in result.guardrails:
        status = "breached" if rail.breached else "not measured yet" if rail.value is None else "ok"
        value = "—" if rail.value is None else f"{rail.value:.4g}"
        cells = [rail.variant, rail.name, value, f"{rail.ceiling:g}", status]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _shadow_text(result: ExperimentResult) -> str:
    shadow = result.shadow
    assert shadow is not None
    agreement = (
        f"agreement {shadow.agreement:.1%}"
        if shadow.agreement is not None
        else "mean |difference| " + ("—" if shadow.mean_abs_difference is None else f"{shadow.mean_abs_difference:.4g}")
    )
    return (
        f"<p>{shadow.requests:,} champion requests mirrored to the challenger ({shadow.failed:,} failed or timed "
        f"out); on the {shadow.rows:,} rows both answered, {agreement}.</p>"
    )


def _shadow_latency(result: ExperimentResult) -> go.Figure:
    shadow = result.shadow
    assert shadow is not None
    figure = go.Figure()
    for label, colour, latency in (
        ("champion", CHAMPION, shadow.champion_latency),
        ("challenger (shadow)", CHALLENGER, shadow.challenger_latency),
    ):
        figure.add_bar(x=["p50", "p95"], y=[latency.p50_ms, latency.p95_ms], name=label, marker_color=colour)
    figure.update_layout(title="Latency on mirrored requests (ms)", barmode="group", height=360)
    return figure


def _e(text: str) -> str:
    return html.escape(str(text))
