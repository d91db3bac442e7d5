"""Workflows of a Jupyter server: its REST routes, and its gateway's ``executions`` topic."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nebula_kernel.client._remote import RemoteSubscription
from nebula_kernel.client._workflows_backend import EntrySink
from nebula_kernel.protocol import decode

if TYPE_CHECKING:
    from nebula_kernel.client._remote import RemoteResourceStore
    from nebula_kernel.client._workflows_actors import LocalAction
    from nebula_kernel.client._workflows_actors_remote import RemoteActors

__all__ = ["RemoteBackend"]

_log = logging.getLogger("nebula.client")


class _ExecutionSubscription(RemoteSubscription):
    """The gateway's events of one execution: each a journal entry, ``seq`` its journal seq
    (so a reconnect resumes after the last one seen)."""

    def __init__(self, owner: RemoteResourceStore, topic: dict[str, Any], sink: EntrySink) -> None:
        self._sink = sink  # before the reader thread starts
        super().__init__(owner, topic, None, lambda _: None, None)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind not in ("event", "resync"):
            return
        self.last_seq = int(message["seq"])
        # A resync says the server no longer holds what was missed: the sink reads the journal.
        entry = decode(message["data"])["entry"] if kind == "event" else None
        try:
            self._sink(entry)
        except Exception:  # a view's bug must not end the subscription
            _log.exception("execution event sink raised")


class RemoteBackend:
    def __init__(self, store: RemoteResourceStore) -> None:
        self._store = store
        self._actors: RemoteActors | None = None  # the actor socket, opened on first need

    def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
        *,
        in_star: bool = True,
    ) -> Any:
        prefix = f"stars/{quote(self._store.default_star, safe='')}/" if in_star else ""
        return self._store._request(method, prefix + path, body=body, params=params)

    @staticmethod
    def _id(execution_id: str) -> str:
        return "executions/" + quote(execution_id, safe="")

    def validate(self, source: str, format: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call(
            "POST", "workflows/validate", {"source": source, "format": format}, in_star=False
        )
        return found

    def start(
        self, source: str, format: str, input: Any, execution_id: str | None
    ) -> dict[str, Any]:
        body = {"source": source, "format": format, "input": input}
        if execution_id is not None:
            body["execution_id"] = execution_id
        started: dict[str, Any] = self._call("POST", "executions", body)["execution"]
        return started

    def executions(
        self, status: str | None, workflow_id: str | None, limit: int
    ) -> list[dict[str, Any]]:
        params = {"limit": str(limit)}
        if status is not None:
            params["status"] = status
        if workflow_id is not None:
            params["workflow_id"] = workflow_id
        found: list[dict[str, Any]] = self._call("GET", "executions", params=params)["executions"]
        return found

    def execution(self, execution_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", self._id(execution_id))
        return found

    def journal(self, execution_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        params = {"after": str(after_seq)}
        found = self._call("GET", self._id(execution_id) + "/journal", params=params)
        entries: list[dict[str, Any]] = found["entries"]
        return entries

    def cancel(self, execution_id: str) -> dict[str, Any]:
        done: dict[str, Any] = self._call("POST", self._id(execution_id) + "/cancel", {})[
            "execution"
        ]
        return done

    def resume(self, execution_id: str) -> dict[str, Any]:
        done: dict[str, Any] = self._call("POST", self._id(execution_id) + "/resume", {})[
            "execution"
        ]
        return done

    def actions(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", "actions", in_star=False)["actions"]
        return found

    def watch(self, execution_id: str, sink: EntrySink) -> Callable[[], None]:
        topic = {
            "kind": "executions",
            "star": self._store.default_star,
            "execution_id": execution_id,
        }
        subscription = _ExecutionSubscription(self._store, topic, sink)
        self._store._subscriptions.append(subscription)  # closed with the store
        return subscription.close

    def provide(self, action: LocalAction) -> Callable[[], None]:
        from nebula_kernel.client._workflows_actors_remote import RemoteActors

        if self._actors is None:
            self._actors = RemoteActors(self._store)
        actors = self._actors
        actors.provide(action)
        return lambda: actors.withdraw(action)

    def close(self) -> None:
        """Close the actor socket; its subscriptions close with the store."""
        if self._actors is not None:
            self._actors.close()
            self._actors = None
