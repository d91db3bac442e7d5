"""Circuit breakers per key (an action id, a host): stop calling what keeps failing.

A key's circuit is *closed* (calls pass) until its failures in the rolling ``window`` reach
``failure_threshold`` (or the failure ratio reaches ``failure_ratio`` over at least
``minimum_calls`` calls). It is then *open*: calls fail fast with
:class:`~nebula_kernel.errors.CircuitOpen`, which says when to come back. After ``cooldown``
seconds it is *half-open*: up to ``half_open_calls`` trial calls pass; ``success_threshold``
trial successes close it, one trial failure opens it again for another cool-down.

Usage::

    breaker = CircuitBreaker(BreakerPolicy(failure_threshold=5))
    async with breaker.guard("api.example.org"):
        await call()

or ``permit = breaker.before(key)`` ... ``breaker.after(permit, ok)`` where a context manager
does not fit. Thread-safe; time comes from an injectable monotonic clock (seconds).
"""

from __future__ import annotations

import enum
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from nebula_kernel.errors import CircuitOpen, InvalidDefinition
from nebula_kernel.workflows._resilience import is_retryable

__all__ = ["BreakerPolicy", "CircuitBreaker", "CircuitState", "Permit"]


class CircuitState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When a circuit opens and how it recovers. Times are in seconds.

    ``counts_as_failure`` decides which exceptions from ``guard`` count against the circuit; by
    default those the error marks non-retryable (a rejected request: the service is up) do not.
    """

    failure_threshold: int = 5
    window: float = 60.0
    failure_ratio: float | None = None
    minimum_calls: int = 10
    cooldown: float = 30.0
    half_open_calls: int = 1
    success_threshold: int = 1
    buckets: int = 10
    counts_as_failure: Callable[[BaseException], bool] = is_retryable

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.failure_threshold < 1:
            problems.append("failure_threshold must be at least 1")
        if not 0 < self.window < math.inf or not 0 <= self.cooldown < math.inf:
            problems.append("window must be positive and cooldown non-negative (finite seconds)")
        if self.failure_ratio is not None and not 0 < self.failure_ratio <= 1:
            problems.append("failure_ratio must be in (0, 1]")
        if self.minimum_calls < 1 or self.buckets < 1:
            problems.append("minimum_calls and buckets must be at least 1")
        if not 1 <= self.success_threshold <= self.half_open_calls:
            problems.append("need 1 <= success_threshold <= half_open_calls")
        if problems:
            raise InvalidDefinition(
                f"Invalid circuit breaker policy: {'; '.join(problems)}.", problems=problems
            )


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to call, from :meth:`CircuitBreaker.before`; hand it back to ``after``.

    ``generation`` ties the outcome to the circuit state it was granted in, so a slow call that
    started before the circuit opened cannot close it (or re-open it) later.
    """

    key: str
    generation: int
    trial: bool


@dataclass(slots=True)
class _Circuit:
    state: CircuitState = CircuitState.CLOSED
    generation: int = 0
    opened_at: float = 0.0
    trials_in_flight: int = 0
    trial_successes: int = 0
    # (bucket index, failures, successes): counts per window/buckets seconds, so memory stays
    # bounded however many calls a busy key makes.
    buckets: deque[list[int]] = field(default_factory=deque)

    def move(self, state: CircuitState, now: float) -> None:
        self.state = state
        self.generation += 1
        self.trials_in_flight = 0
        self.trial_successes = 0
        self.buckets.clear()
        if state is CircuitState.OPEN:
            self.opened_at = now


class CircuitBreaker:
    """Circuits per key, all with one policy."""

    def __init__(
        self, policy: BreakerPolicy | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy or BreakerPolicy()
        self._clock = clock
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()

    def state(self, key: str) -> CircuitState:
        """The key's state now (an open circuit whose cool-down is over reads half-open)."""
        with self._lock:
            circuit = self._circuits.get(key)
            if circuit is None:
                return CircuitState.CLOSED
            self._cool_down(circuit, self._clock())
            return circuit.state

    def before(self, key: str) -> Permit:
        """Leave to make one call, or :class:`CircuitOpen` if the circuit refuses it."""
        with self._lock:
            now = self._clock()
            circuit = self._circuits.setdefault(key, _Circuit())
            self._cool_down(circuit, now)
            if circuit.state is CircuitState.OPEN:
                wait = circuit.opened_at + self.policy.cooldown - now
                raise _open(key, wait, "is open after repeated failures")
            if circuit.state is CircuitState.HALF_OPEN:
                if circuit.trials_in_flight >= self.policy.half_open_calls:
                    # The trial's outcome decides; if it fails, a full cool-down follows.
                    raise _open(
                        key, self.policy.cooldown, "is half-open with its trial calls in progress"
                    )
                circuit.trials_in_flight += 1
                return Permit(key, circuit.generation, trial=True)
            return Permit(key, circuit.generation, trial=False)

    def after(self, permit: Permit, ok: bool | None) -> None:
        """Record the outcome of a permitted call; ``None`` if it ended without one (cancelled)."""
        with self._lock:
            now = self._clock()
            circuit = self._circuits.get(permit.key)
            if circuit is None or circuit.generation != permit.generation:
                return
            if permit.trial:
                circuit.trials_in_flight -= 1
                if ok is False:
                    circuit.move(CircuitState.OPEN, now)
                elif ok:
                    circuit.trial_successes += 1
                    if circuit.trial_successes >= self.policy.success_threshold:
                        circuit.move(CircuitState.CLOSED, now)
                return
            if ok is not None:
                self._record(circuit, ok, now)

    @asynccontextmanager
    async def guard(self, key: str) -> AsyncIterator[Permit]:
        """``async with breaker.guard(key): ...``: a permit, and the outcome recorded after."""
        permit = self.before(key)
        try:
            yield permit
        except Exception as exc:
            self.after(permit, not self.policy.counts_as_failure(exc))
            raise
        except BaseException:
            self.after(permit, None)
            raise
        self.after(permit, True)

    def _cool_down(self, circuit: _Circuit, now: float) -> None:
        if circuit.state is CircuitState.OPEN and now >= circuit.opened_at + self.policy.cooldown:
            circuit.move(CircuitState.HALF_OPEN, now)

    def _record(self, circuit: _Circuit, ok: bool, now: float) -> None:
        policy = self.policy
        width = policy.window / policy.buckets
        index = math.floor(now / width)
        counts = circuit.buckets
        while counts and counts[0][0] <= index - policy.buckets:
            counts.popleft()
        if not counts or counts[-1][0] != index:
            counts.append([index, 0, 0])
        counts[-1][1 if not ok else 2] += 1
        if ok:
            return
        failures = sum(b[1] for b in counts)
        calls = failures + sum(b[2] for b in counts)
        ratio_reached = (
            policy.failure_ratio is not None
            and calls >= policy.minimum_calls
            and failures / calls >= policy.failure_ratio
        )
        if failures >= policy.failure_threshold or ratio_reached:
            circuit.move(CircuitState.OPEN, now)


def _open(key: str, wait: float, state: str) -> CircuitOpen:
    wait = max(0.0, wait)
    return CircuitOpen(
        f"The circuit for {key!r} {state}; calls fail fast for now. "
        f"Retry in {wait:.1f} s, and check the service behind it if this persists.",
        key=key,
        retry_after=wait,
    )
