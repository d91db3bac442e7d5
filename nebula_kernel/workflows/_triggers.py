"""Resource-change triggers: start a workflow when resources of a type change in a star.

A :class:`ResourceChangeTrigger` names the star, the type, optionally one resource id, the
operations (``put``/``delete``) and an optional filter: a predicate on the
:class:`~nebula_kernel.resources.Change`, or a Lookback filter document matched against the
snapshot's record (``{"state": "Done"}``), as ``ResourceStore.subscribe`` takes it.

:func:`change_input` turns a change into the workflow's input document, and
:func:`change_fire_id` into a stable idempotency key (trigger id, star, change sequence), so a
change delivered twice (after a restart replays from a stored sequence) starts one execution.
:func:`subscribe_trigger` wires a trigger to a live store subscription.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nebula_kernel.auth import Principal, StarId
from nebula_kernel.errors import InvalidDefinition
from nebula_kernel.resources import Change, ResourceStore, Resync, Subscription
from nebula_kernel.resources._ids import check_resource_id, check_type_name

__all__ = ["ResourceChangeTrigger", "change_fire_id", "change_input", "subscribe_trigger"]

log = logging.getLogger("nebula.workflows.triggers")

ChangeOp = Literal["put", "delete"]


@dataclass(frozen=True, slots=True)
class ResourceChangeTrigger:
    """Start a workflow for each matching change of ``type`` (and ``resource_id``) in ``star``."""

    id: str
    star: str
    type: str
    resource_id: str | None = None
    ops: frozenset[ChangeOp] = frozenset({"put", "delete"})
    where: Callable[[Change], bool] | Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        check_resource_id(self.id)  # it becomes part of every fire id
        StarId.parse(self.star)
        check_type_name(self.type)
        if self.resource_id is not None:
            check_resource_id(self.resource_id)
        if not self.ops or not self.ops <= {"put", "delete"}:
            raise InvalidDefinition(
                f"Resource-change trigger {self.id!r}: ops must be a non-empty set of 'put' and "
                f"'delete', not {sorted(self.ops)!r}.",
                trigger=self.id,
            )
        if self.where is not None and not callable(self.where):
            # A filter document is refused here, where the trigger is defined, not at the
            # first subscription (the store parses it again then: once per deployment).
            from nebula_kernel.lookback import parse_filter

            parse_filter(self.where, location="where")

    def accepts(self, change: Change) -> bool:
        """Whether the change's star, type, id and operation match (the filter is the store's)."""
        return (
            change.star == self.star
            and change.type == self.type
            and (self.resource_id is None or change.id == self.resource_id)
            and change.op in self.ops
        )


def change_fire_prefix(trigger: ResourceChangeTrigger) -> str:
    """What the ids of the trigger's fires start with; the change's sequence number follows."""
    return f"change:{trigger.id}:{trigger.star}:"


def change_fire_id(trigger: ResourceChangeTrigger, change: Change) -> str:
    return f"{change_fire_prefix(trigger)}{change.seq}"


def change_input(change: Change) -> dict[str, Any]:
    """The workflow input for a change: ``{"change": {...}}`` with JSON-safe values.

    For a delete, ``value`` is the last value the resource had.
    """
    resource = change.resource
    return {
        "change": {
            "star": change.star,
            "seq": change.seq,
            "op": change.op,
            "type": change.type,
            "id": change.id,
            "value": copy.deepcopy(dict(resource.value)),
            "previous_values": copy.deepcopy(dict(resource.previous_values)),
            "etag": resource.etag,
            "snapshot_number": resource.snapshot_number,
            "at": change.at.isoformat(),
            "changed_by": change.changed_by,
        }
    }


def subscribe_trigger(
    store: ResourceStore,
    trigger: ResourceChangeTrigger,
    on_fire: Callable[[str, dict[str, Any]], object],
    *,
    since: int | None = None,
    principal: Principal | None = None,
    on_resync: Callable[[Resync], object] | None = None,
) -> Subscription:
    """Call ``on_fire(fire_id, input)`` for each matching change, on the store's dispatcher
    thread. Pass the last sequence handled as ``since`` after a restart to get the changes
    missed meanwhile. A :class:`Resync` (the trigger fell too far behind to be sent every
    change) goes to ``on_resync``; by default it is logged, as those changes cannot be
    replayed one by one.
    """

    def deliver(event: Change | Resync) -> None:
        if isinstance(event, Resync):
            if on_resync is not None:
                on_resync(event)
            else:
                log.warning(
                    "trigger %s missed changes up to seq %s: %s",
                    trigger.id,
                    event.seq,
                    event.reason,
                )
            return
        if trigger.accepts(event):
            on_fire(change_fire_id(trigger, event), change_input(event))

    return store.subscribe(
        deliver,
        type_name=trigger.type,
        id_=trigger.resource_id,
        where=trigger.where,
        since=since,
        star=trigger.star,
        principal=principal,
    )
