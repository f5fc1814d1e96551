"""The figures as rich tables: what `slipstream monitor` prints."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from slipstream.monitoring.figures import Figures, VersionDrift, verdicts

STYLE = {"ok": "green", "drift": "bold red", "not enough data": "yellow"}
# Test: chi-square, two-sample or goodness of fit; p (adj.): Holm-adjusted p-value; PSI: the effect size.
COLUMNS = ("Feature", "Kind", "Rows", "Test (chi-square)", "Statistic", "p (adj.)", "PSI", "Verdict")


def print_figures(console: Console, figures: Figures) -> None:
    settings = figures.settings
    console.print(
        f"[bold]{figures.rows}[/] captured rows; drift when the chi-square test's p-value, Holm-adjusted over "
        f"the version's features and prediction, is at most {settings.alpha:g} and PSI is at least "
        f"{settings.min_psi:g}; fewer than {settings.min_samples} rows per version is 'not enough data'.",
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
    for column in COLUMNS:
        table.add_column(
            column, justify="left" if column in ("Feature", "Kind", "Test (chi-square)", "Verdict") else "right"
        )
    for verdict in verdicts(version):
        table.add_row(*_row(verdict))
    if version.missing_features:
        table.caption = f"absent from every request: {', '.join(version.missing_features)}"
    return table


def _row(verdict: dict[str, Any]) -> list[str]:
    status = f"[{STYLE[verdict['status']]}]{verdict['status']}[/]"
    unseen = verdict["unseen"]
    if unseen:
        status += f" (unseen: {', '.join(unseen[:3])}{'…' if len(unseen) > 3 else ''})"
    test = "n/a" if verdict["test"] is None else verdict["test"].removeprefix("chi-square ").strip("()")
    statistic = "n/a" if verdict["statistic"] is None else f"{verdict['statistic']:.1f} ({verdict['dof']} df)"
    return [verdict["name"], verdict["kind"], str(verdict["rows"]), test, statistic,
            _number(verdict["p_adjusted"]), _number(verdict["psi"]), status]  # fmt: skip


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}" if value < 0.001 else f"{value:.3f}"


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
