"""Graph helpers over node ids and edges: cycle finding, topological order, ancestors."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable

__all__ = ["ancestors", "find_cycle", "topological_order"]


def _adjacency(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        out[a].append(b)
    return out


def topological_order(nodes: Collection[str], edges: Collection[tuple[str, str]]) -> list[str]:
    """Kahn's order, stable in the given node order; raises ValueError on a cycle."""
    succ = _adjacency(nodes, edges)
    indegree = dict.fromkeys(nodes, 0)
    for _, b in edges:
        indegree[b] += 1
    ready = deque(n for n in nodes if indegree[n] == 0)
    order: list[str] = []
    while ready:
        current = ready.popleft()
        order.append(current)
        for nxt in succ[current]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    if len(order) != len(indegree):
        raise ValueError("cycle")
    return order


def find_cycle(nodes: Collection[str], edges: Collection[tuple[str, str]]) -> list[str] | None:
    """One cycle as a closed path (``[a, b, a]``), or ``None``; iterative, so deep graphs work."""
    succ = _adjacency(nodes, edges)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in nodes:
        if state.get(start):
            continue
        path = [start]
        iters = [iter(succ[start])]
        state[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(succ[nxt]))
    return None


def ancestors(nodes: Collection[str], edges: Collection[tuple[str, str]]) -> dict[str, set[str]]:
    """Every node's transitive predecessors (the graph must be acyclic)."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        preds[b].append(a)
    out: dict[str, set[str]] = {}
    for node in topological_order(nodes, edges):
        found: set[str] = set()
        for p in preds[node]:
            found.add(p)
            found |= out[p]
        out[node] = found
    return out
