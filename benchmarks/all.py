"""`make bench`: every benchmark module in this folder, one table of ratios against baselines from the same run.

    .venv/bin/python benchmarks/all.py [--quick] [--only pipeline,serving] [--json reports/bench.json]

A module takes part by defining `bench(quick: bool = False) -> list[table.Row]`. Modules run one after the
other (never side by side: each one's baseline must see the same machine as its figure). A module that fails
is reported as failed and the others still run; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import table  # noqa: E402

HELPERS = {"all", "table", "report", "load", "flask_app"}  # modules that are not benchmarks themselves


def discover() -> list[str]:
    names = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in HELPERS and not p.stem.startswith("_"))
    return [name for name in names if hasattr(importlib.import_module(name), "bench")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and short loops (a smoke run)")
    parser.add_argument("--only", default="", help="comma-separated module names (default: all)")
    parser.add_argument("--json", type=Path, help="also write every row as JSON to this file")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or discover()
    rows: list[table.Row] = []
    failed: list[str] = []
    for name in names:
        started = time.perf_counter()
        print(f"== {name} ...", flush=True)
        try:
            found = importlib.import_module(name).bench(quick=args.quick)
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        print(table.render(found), f"\n({name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
        rows.extend(found)
    print("== all benchmarks\n" + table.render(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(table.as_json(rows), encoding="utf-8")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
