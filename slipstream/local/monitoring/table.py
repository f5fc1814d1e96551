"""The figures as rich tables: what `slipstream monitor` prints."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from slipstream.monitoring.drift import Drift
from slipstream.monitoring.figures import Figures, VersionDrift

STYLE = {"ok": "green", "drift": "bold red", "not enough data": "yellow"}


def print_figures(console: Console, figures: Figures) -> None:
    settings = figures.settings
    console.print(
        f"[bold]{figures.rows}[/] captured rows; drift when PSI > {settings.threshold:g}; "
        f"fewer than {settings.min_samples} rows per version is 'not enough data'.",
        highlight=False,
    )
    for version in figures.versions:
        console.print(_version_table(version))
    if figures.quality:
        console.print(_quality_table(figures))


def _version_table(version: VersionDrift) -> Table | str:
    title = f"Model version {version.version} ({', '.join(version.variants)}): {version.rows} rows"
    if version.baseline is None:
        return f"[yellow]{title}: no training baseline found for this version, nothing to compare.[/]"
    table = Table(title=title, title_justify="left")
    for column in ("Feature", "Kind", "Rows", "PSI", "Status"):
        table.add_column(column, justify="right" if column in ("Rows", "PSI") else "left")
    ordered = sorted(version.features, key=lambda d: -1.0 if d.psi is None else d.psi, reverse=True)
    for drift in [*([version.prediction] if version.prediction else []), *ordered]:
        table.add_row(*_row(drift))
    if version.missing_features:
        table.caption = f"absent from every request: {', '.join(version.missing_features)}"
    return table


def _row(drift: Drift) -> list[str]:
    psi = "n/a" if drift.psi is None else f"{drift.psi:.3f}"
    status = f"[{STYLE[drift.status]}]{drift.status}[/]"
    if drift.unseen:
        status += f" (unseen: {', '.join(drift.unseen[:3])}{'…' if len(drift.unseen) > 3 else ''})"
    return [drift.name, drift.kind, str(drift.n), psi, status]


def _quality_table(figures: Figures) -> Table:
    table = Table(title="Quality per variant (from feedback)", title_justify="left")
    for column in ("Variant", "Versions", "Predicted", "With ground truth", "Quality"):
        table.add_column(column)
    for quality in figures.quality:
        shown = ", ".join(f"{name} {value:.3f}" for name, value in quality.metrics.items())
        if not quality.enough:
            shown = f"[yellow]not enough data[/] (needs {figures.settings.min_feedback})"
        versions = ", ".join(quality.versions)
        table.add_row(quality.variant, versions, str(quality.predicted), str(quality.labelled), shown)
    return table
