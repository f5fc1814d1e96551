"""Compare the synthesized templates of two commits: `python scripts/template_diff.py [REF] [--ignore-assets]`.

Synthesizes every stage of slipstream.toml (each with and without a GitHub deploy stack) from the working
tree and from REF (default HEAD, checked out in a temporary worktree), then compares every template byte
for byte and lists, per stack, the resources that differ. `--ignore-assets` treats Lambda and sourcedir
asset hashes as equal (they change whenever the code inside changes). Exit 0 when identical, 1 otherwise.
Both checkouts run on this venv, so REF must be recent enough to import with today's dependencies.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSET_HASH = re.compile(r"[0-9a-f]{64}")
# Run inside a checkout: its own cdk/ package, today's layout or the one before cdk/ was grouped by capability.
SYNTH = """
import sys
from dataclasses import replace
from pathlib import Path
from aws_cdk import App
try:
    from cdk.app import build_app
    from cdk.shared.settings import load_settings
except ImportError:
    from cdk.app_builder import build_app
    from cdk.settings import load_settings
out = Path(sys.argv[1])
for stage in ("dev", "staging", "prod"):
    for repository in (None, "acme/slipstream"):
        settings = load_settings(stage)
        if repository:
            settings = replace(settings, stage=settings.stage.model_copy(update={"github_repository": repository}))
        app = App(outdir=str(out / f"{stage}-{'github' if repository else 'plain'}"))
        build_app(app, settings)
        app.synth()
"""


def synthesize(checkout: Path, out: Path) -> None:
    subprocess.run([sys.executable, "-c", SYNTH, str(out)], cwd=checkout, check=True)


def templates(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text() for p in sorted(out.glob("*/*.template.json"))}


def resource_differences(before: str, after: str, ignore_assets: bool) -> list[str]:
    if ignore_assets:
        before, after = ASSET_HASH.sub("<asset>", before), ASSET_HASH.sub("<asset>", after)
    if before == after:
        return []
    old, new = json.loads(before), json.loads(after)
    lines = []
    for section in ("Resources", "Outputs", "Parameters", "Conditions"):
        a, b = old.get(section, {}), new.get(section, {})
        for key in sorted(set(a) | set(b)):
            if key not in b:
                lines.append(f"  {section}.{key}: removed")
            elif key not in a:
                lines.append(f"  {section}.{key}: added")
            elif a[key] != b[key]:
                lines.append(f"  {section}.{key}: changed")
    return lines or ["  (same content, different bytes: key order or formatting)"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", nargs="?", default="HEAD")
    parser.add_argument("--ignore-assets", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(base / "ref"), args.ref], cwd=ROOT, check=True)
        try:
            synthesize(base / "ref", base / "before")
            synthesize(ROOT, base / "after")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base / "ref")], cwd=ROOT, check=True)
        before, after = templates(base / "before"), templates(base / "after")
    differing = 0
    for name in sorted(set(before) | set(after)):
        lines = resource_differences(before.get(name, "{}"), after.get(name, "{}"), args.ignore_assets)
        if lines:
            differing += 1
            print(name, *lines, sep="\n")
    print(f"{len(after)} templates from the working tree, {len(before)} from {args.ref}: {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
