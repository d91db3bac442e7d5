"""Conditions and skips on random graphs, against a ten-line reference model.

A node runs when it has no incoming connection, or when at least one incoming connection
fired: its source completed and its condition (if any) held. Otherwise it is skipped, and
the connections leaving it never fire.
"""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from nebula_kernel.workflows import ExecutionResult, ExecutionStatus, Workflow, open_runtime

N = 7
_CONDITIONS = st.sampled_from([None, "true", "false", "$input.flag", "not $input.flag"])
_EDGES = st.dictionaries(
    st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)).filter(lambda e: e[0] < e[1]),
    _CONDITIONS,
    max_size=14,
)


def _holds(condition: str | None, flag: bool) -> bool:
    return {None: True, "true": True, "false": False, "$input.flag": flag}.get(condition, not flag)


def _expected(edges: dict[tuple[int, int], str | None], flag: bool) -> set[int]:
    ran: set[int] = set()
    for node in range(N):  # node ids are already in topological order
        incoming = [(s, c) for (s, t), c in edges.items() if t == node]
        if not incoming or any(s in ran and _holds(c, flag) for s, c in incoming):
            ran.add(node)
    return ran


def _run(wf: Workflow, flag: bool) -> ExecutionResult:
    async def main() -> ExecutionResult:
        async with open_runtime() as runtime:
            return await runtime.run(wf, {"flag": flag})

    return asyncio.run(main())


@settings(max_examples=40, deadline=None)
@given(_EDGES, st.booleans())
def test_runs_and_skips_match_the_reference(
    edges: dict[tuple[int, int], str | None], flag: bool
) -> None:
    wf = Workflow("random")
    nodes = [wf.node(f"n{i}", "log", message=i) for i in range(N)]
    for (source, target), condition in edges.items():
        nodes[source].to(nodes[target], when=condition)
    result = _run(wf, flag)
    assert result.status is ExecutionStatus.COMPLETED
    ran = _expected(edges, flag)
    assert set(result.results) == {f"n{i}" for i in ran}
    assert set(result.skipped) == {f"n{i}" for i in range(N) if i not in ran}
