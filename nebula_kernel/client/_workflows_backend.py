"""What the notebook API needs from a mode: the contract's calls, answered in its JSON.

:class:`EmbeddedBackend` asks the in-process :class:`WorkflowService`, :class:`RemoteBackend`
the server's REST routes and gateway; everything above them is shared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from nebula_kernel.client._workflows_actors import LocalAction

__all__ = ["Backend", "Entry", "EntrySink"]

Entry = Mapping[str, Any]
# What a watch delivers: a journal entry (the contract's JSON), or None when some were missed.
EntrySink = Callable[[Entry | None], None]


class Backend(Protocol):
    """What the notebook API needs from either mode, in the contract's JSON."""

    def validate(self, source: str, format: str) -> dict[str, Any]: ...
    def start(
        self, source: str, format: str, input: Any, execution_id: str | None
    ) -> dict[str, Any]: ...
    def executions(
        self, status: str | None, workflow_id: str | None, limit: int
    ) -> list[dict[str, Any]]: ...
    def execution(self, execution_id: str) -> dict[str, Any]: ...
    def journal(self, execution_id: str, after_seq: int = 0) -> list[dict[str, Any]]: ...
    def cancel(self, execution_id: str) -> dict[str, Any]: ...
    def resume(self, execution_id: str) -> dict[str, Any]: ...
    def actions(self) -> list[dict[str, Any]]: ...
    def watch(self, execution_id: str, sink: EntrySink) -> Callable[[], None]:
        """Hand ``sink`` each entry of the execution written from now on (on another thread);
        returns the function that stops it."""
        ...

    def provide(self, action: LocalAction) -> Callable[[], None]:
        """Serve ``action`` from this kernel in the store's default star; returns the function
        that withdraws it."""
        ...

    def close(self) -> None: ...
