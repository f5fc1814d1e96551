from pathlib import Path

from slipstream.config_docs import render


def test_committed_config_reference_is_current(repo_root: Path) -> None:
    committed = (repo_root / "docs" / "config.md").read_text(encoding="utf-8")
    assert committed == render(), (
        "docs/config.md is stale: run `.venv/bin/python -m slipstream.config_docs > docs/config.md`"
    )


def test_every_section_is_documented() -> None:
    page = render()
    for section in ("`data`", "`model`", "`gate`", "`behaviour.directional`", "`serving`", "`stages`"):
        assert f"## {section}" in page
