"""The monitoring report: one self-contained HTML file (plotly.js inline, so it opens with no network).

Sections: a summary, PSI per feature against the effect floor, baseline vs live distribution of every feature
(drifted first), the prediction distribution, and quality per variant from feedback.
"""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from slipstream.monitoring.drift import Drift
from slipstream.monitoring.figures import Figures, VersionDrift

COLOURS = {"ok": "#2e7d32", "drift": "#c62828", "not enough data": "#f9a825"}
BASELINE, LIVE = "#90a4ae", "#1565c0"
GRID_COLUMNS = 3


def write_report(figures: Figures, path: Path, *, title: str) -> Path:
    parts = [_summary(figures, title)]
    for version in figures.versions:
        if version.baseline is None:
            parts.append(f"<h2>Version {_e(version.version)}</h2><p>No training baseline found; nothing compared.</p>")
            continue
        parts.append(f"<h2>Version {_e(version.version)} ({_e(', '.join(version.variants))})</h2>")
        parts.append(plot(_psi_bars(version, figures.settings.min_psi)))
        if version.prediction is not None:
            parts.append(plot(_distribution_figure([version.prediction], "Prediction distribution")))
        ordered = sorted(version.features, key=lambda d: -1.0 if d.psi is None else d.psi, reverse=True)
        parts.append(plot(_distribution_figure(ordered, "Baseline vs live, per feature (highest PSI first)")))
    if figures.quality:
        parts.append("<h2>Quality per variant (A/B, from feedback)</h2>" + _quality_html(figures))
        parts.append(plot(_quality_bars(figures)))
    document = page(title, "\n".join(parts))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path


def _psi_bars(version: VersionDrift, threshold: float) -> go.Figure:
    drifts = sorted(version.features, key=lambda d: d.psi or 0.0, reverse=True)
    figure = go.Figure(
        go.Bar(
            x=[d.name for d in drifts],
            y=[d.psi or 0.0 for d in drifts],
            marker_color=[COLOURS[d.status] for d in drifts],
            hovertext=[f"{d.status}, {d.n} rows, adjusted p {_p(d.p_adjusted)}" for d in drifts],
        )
    )
    figure.add_hline(y=threshold, line_dash="dash", line_color=COLOURS["drift"], annotation_text="effect floor")
    figure.update_layout(
        title="PSI per feature (red: drift, i.e. significant and above the floor; yellow: not enough data)", height=420
    )
    figure.update_yaxes(title="PSI")
    return figure


def _distribution_figure(drifts: list[Drift], title: str) -> go.Figure:
    rows = max(1, math.ceil(len(drifts) / GRID_COLUMNS))
    columns = min(GRID_COLUMNS, max(1, len(drifts)))
    titles = [f"{d.name}: {'n/a' if d.psi is None else f'PSI {d.psi:.3f}'} ({d.status})" for d in drifts]
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=titles, vertical_spacing=0.3 / rows + 0.02)
    for index, drift in enumerate(drifts):
        row, column = index // GRID_COLUMNS + 1, index % GRID_COLUMNS + 1
        first = index == 0
        figure.add_bar(x=drift.bins, y=drift.expected, name="baseline", marker_color=BASELINE,
                       showlegend=first, legendgroup="baseline", row=row, col=column)  # fmt: skip
        figure.add_bar(x=drift.bins, y=drift.actual, name="live", marker_color=LIVE,
                       showlegend=first, legendgroup="live", row=row, col=column)  # fmt: skip
    figure.update_layout(title=title, barmode="group", height=max(320, 260 * rows))
    figure.update_xaxes(showticklabels=False)  # bin labels are in the hover text; 10 labels per plot overlap
    figure.update_yaxes(tickformat=".0%")
    for annotation in figure.layout.annotations:
        annotation.font.size = 11
    return figure


def _quality_bars(figures: Figures) -> go.Figure:
    figure = go.Figure()
    names = sorted({name for q in figures.quality for name in q.metrics})
    for name in names:
        shown = [q for q in figures.quality if name in q.metrics]
        figure.add_bar(x=[q.variant for q in shown], y=[q.metrics[name] for q in shown], name=name)
    figure.update_layout(title="Quality per variant", barmode="group", height=360)
    return figure


def _quality_html(figures: Figures) -> str:
    rows = []
    for q in figures.quality:
        shown = ", ".join(f"{k} {v:.3f}" for k, v in q.metrics.items()) or "not enough data"
        cells = [q.variant, ", ".join(q.versions), str(q.predicted), str(q.labelled), shown]
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    head = "<tr><th>Variant</th><th>Versions</th><th>Predicted</th><th>With ground truth</th><th>Quality</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _summary(figures: Figures, title: str) -> str:
    s = figures.settings
    drifted = figures.drifted
    verdict = (
        "<p class=bad>Drift: " + "; ".join(f"version {v}: {', '.join(n)}" for v, n in drifted.items()) + "</p>"
        if drifted
        else "<p class=good>No feature and no prediction distribution drifted.</p>"
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<h1>{_e(title)}</h1><p>{when} · {figures.rows} captured rows · drift: Holm-adjusted chi-square "
        f"p-value ≤ {s.alpha:g} and PSI ≥ {s.min_psi:g} · "
        f"at least {s.min_samples} rows per version and {s.min_feedback} labelled rows per variant</p>{verdict}"
    )


def plot(figure: go.Figure) -> str:
    return figure.to_html(full_html=False, include_plotlyjs=False)


def page(title: str, body: str) -> str:
    # plotly.js once, inline: the report must open offline (no CDN) and stay one file.
    script = f"<script>{get_plotlyjs()}</script>"
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:1400px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
        ".bad{color:#c62828;font-weight:bold}.good{color:#2e7d32}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{style}</style>{script}</head><body>{body}</body></html>"
    )


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _e(text: str) -> str:
    return html.escape(str(text))
