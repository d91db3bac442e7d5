"""Run Nebula's benchmarks and print one table.

python -m benchmarks.run                 # every suite
python -m benchmarks.run store lookback  # some suites
python -m benchmarks.run --quick         # smaller data, for a smoke run
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from benchmarks._runner import Suite, format_table


def _suite_names() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("suites", nargs="*", help=f"suites to run (default all: {_suite_names()})")
    parser.add_argument("--quick", action="store_true", help="small data sizes, for a smoke run")
    args = parser.parse_args(argv)
    names = args.suites or _suite_names()
    unknown = sorted(set(names) - set(_suite_names()))
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; choose from {_suite_names()}")
    suites = []
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        suite = Suite(name, quick=args.quick)
        print(f"running {name} ...", file=sys.stderr, flush=True)
        module.run(suite)
        suites.append(suite)
    print(format_table(suites))
    failed = [r for s in suites for r in s.rows if r.passed is False]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
