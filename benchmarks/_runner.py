"""A tiny benchmark harness: time a callable, take medians, compare with a baseline, print a table.

Each suite is a module ``benchmarks/bench_<name>.py`` with ``def run(ctx: Suite) -> None`` that
calls :meth:`Suite.measure` (and optionally :meth:`Suite.record` for figures it computed itself).
The baseline of a row is another row of the same suite, measured in the same process, so the
ratio says how far the API is from the floor on this very machine and moment.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Row", "Suite", "format_table"]


@dataclass
class Row:
    suite: str
    case: str
    median_s: float
    samples: int
    ops_per_sample: int = 1
    baseline: str | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def per_op_s(self) -> float:
        return self.median_s / self.ops_per_sample

    @property
    def ops_per_s(self) -> float:
        return self.ops_per_sample / self.median_s if self.median_s else float("inf")


@dataclass
class Suite:
    name: str
    quick: bool = False
    rows: list[Row] = field(default_factory=list)

    def measure(
        self,
        case: str,
        fn: Callable[[], object],
        *,
        repeat: int = 20,
        warmup: int = 2,
        ops: int = 1,
        baseline: str | None = None,
        target: str = "",
        check: Callable[[Row], bool] | None = None,
        note: str = "",
    ) -> Row:
        """Run ``fn`` ``warmup`` + ``repeat`` times; ``ops`` = operations in one call."""
        for _ in range(warmup):
            fn()
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        return self.record(
            case, samples, ops=ops, baseline=baseline, target=target, check=check, note=note
        )

    def record(
        self,
        case: str,
        samples: list[float],
        *,
        ops: int = 1,
        baseline: str | None = None,
        target: str = "",
        check: Callable[[Row], bool] | None = None,
        note: str = "",
    ) -> Row:
        row = Row(
            self.name,
            case,
            statistics.median(samples),
            len(samples),
            ops,
            baseline,
            target,
            note=note,
        )
        if check is not None:
            row.passed = check(row)
        self.rows.append(row)
        return row

    def find(self, case: str) -> Row | None:
        return next((r for r in self.rows if r.case == case), None)


def _fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_table(suites: list[Suite]) -> str:
    header = ("suite", "case", "median/op", "ops/s", "vs baseline", "target", "ok", "note")
    lines: list[tuple[str, ...]] = [header]
    for suite in suites:
        for row in suite.rows:
            ratio = ""
            if row.baseline:
                base = suite.find(row.baseline)
                if base is not None and base.per_op_s > 0:
                    ratio = f"{row.per_op_s / base.per_op_s:.2f}x {row.baseline}"
            ok = "" if row.passed is None else ("yes" if row.passed else "NO")
            lines.append(
                (
                    row.suite,
                    row.case,
                    _fmt_time(row.per_op_s),
                    f"{row.ops_per_s:,.0f}",
                    ratio,
                    row.target,
                    ok,
                    row.note,
                )
            )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
