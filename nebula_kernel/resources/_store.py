"""The temporal resources store: typed JSON documents with permanent history.

Every call names a star and a principal (defaults: the store's own) and is authorized before it
touches data. Writes are prepared in the caller's thread (ids, types, validation, the first
eTag check, guards) and committed by the group committer (the second eTag check, history,
change sequence). Reads go straight to storage.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pydantic

from nebula_kernel._json import dumps
from nebula_kernel._loop import on_callers_loop
from nebula_kernel.auth import LOCAL_PRINCIPAL, Principal, Role, StarId, authorize
from nebula_kernel.errors import (
    AlreadyExists,
    ConflictItem,
    GuardDenied,
    InvalidRequest,
    ResourceNotFound,
    StarNotFound,
    TransactionConflict,
)
from nebula_kernel.ports import (
    Clock,
    HeadRow,
    ResourceRepo,
    SnapshotRow,
    StarRow,
    SystemClock,
    TypeRow,
)
from nebula_kernel.resources._committer import Committer, Retry
from nebula_kernel.resources._gc import collector_paused
from nebula_kernel.resources._guards import Guard, GuardRegistry, GuardRequest, redact
from nebula_kernel.resources._history import diff_values
from nebula_kernel.resources._ids import check_resource_id, check_type_name
from nebula_kernel.resources._model import (
    Change,
    Delete,
    ETagPrecondition,
    Put,
    Resource,
    ResourceDiff,
    WriteOp,
)
from nebula_kernel.resources._snapshots import to_resource
from nebula_kernel.resources._subscriptions import (
    ChangeStream,
    Event,
    Predicate,
    Scope,
    Subscription,
    SubscriptionHub,
)
from nebula_kernel.resources._types import Migration, TypeRegistry, TypeVersion, canonical_schema
from nebula_kernel.resources._writes import check_ops, plain, prepare

if TYPE_CHECKING:
    from nebula_kernel.client import Workflows
    from nebula_kernel.lookback import Lookback

__all__ = ["DEFAULT_STAR", "ResourceStore", "StoreLimits", "Transaction", "where_predicate"]

DEFAULT_STAR = "local.lab.default"
_MAX_RETRIES = 16


@dataclass(frozen=True, slots=True)
class StoreLimits:
    max_document_bytes: int = 1 << 20
    max_ops_per_transaction: int = 100_000
    max_replay: int = 10_000
    stream_buffer: int = 10_000
    max_list: int = 10_000


class ResourceStore:
    """Typed JSON documents with permanent history, transactions, guards and subscriptions."""

    def __init__(
        self,
        repo: ResourceRepo,
        *,
        clock: Clock | None = None,
        principal: Principal = LOCAL_PRINCIPAL,
        default_star: str = DEFAULT_STAR,
        limits: StoreLimits | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock or SystemClock()
        self.principal = principal
        self.default_star = str(StarId.parse(default_star))
        self.limits = limits or StoreLimits()
        self._types = TypeRegistry()
        self._guards = GuardRegistry()
        self._stars = {row.star: row for row in repo.load_stars()}
        for row in repo.load_types():
            self._types.restore(row.star, row.name, row.version, json.loads(row.json_schema))
        self._committer = Committer(repo, self._clock, self._publish)
        self._hub = SubscriptionHub(
            self._replay,
            self._committer.last_seqs(),
            max_replay=self.limits.max_replay,
            max_buffer=self.limits.stream_buffer,
        )
        if self.default_star not in self._stars:
            self._insert_star(self.default_star, principal)
        self._workflows: Workflows | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Finish pending commits, stop subscriptions and release the database file."""
        if self._workflows is not None:  # its runtime writes through this store's file
            self._workflows.close()
        self._committer.close()
        self._hub.close()
        self._repo.close()

    def __enter__(self) -> ResourceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def repo(self) -> ResourceRepo:
        return self._repo

    # -- stars ----------------------------------------------------------------------------------

    def access(
        self, star: str | None, principal: Principal | None, needed: Role
    ) -> tuple[str, Principal]:
        """Resolve the star and principal of a call and check ``needed``; raise if refused."""
        return self._star(star, principal, needed)

    def has_guards(self, star: str) -> bool:
        """Whether any type of ``star`` has a guard."""
        return self._guards.has_any(star)

    @property
    def lookback(self) -> Lookback:
        """History queries and aggregations over this store (see :mod:`nebula_kernel.lookback`)."""
        from nebula_kernel.lookback import Lookback

        return Lookback(self)

    @property
    def workflows(self) -> Workflows:
        """Workflows run by a runtime on this store's file, as its principal, in its default
        star (see :class:`nebula_kernel.client.Workflows`); started on first use."""
        if self._workflows is None:
            from nebula_kernel.client import Workflows
            from nebula_kernel.client._workflows_embedded import EmbeddedBackend

            self._workflows = Workflows(EmbeddedBackend(self))
        return self._workflows

    def _star(
        self, star: str | None, principal: Principal | None, needed: Role
    ) -> tuple[str, Principal]:
        who = principal or self.principal
        star_id = StarId.parse(self.default_star if star is None else star)
        authorize(who, star_id, needed)
        name = str(star_id)
        if name not in self._stars:
            raise StarNotFound(
                f"Star {name!r} does not exist. Create it with create_star({name!r}) first.",
                star=name,
            )
        return name, who

    def _insert_star(self, star: str, principal: Principal) -> StarRow:
        row = StarRow(star, self._clock.now(), principal.id)
        self._repo.insert_star(row)
        self._stars[star] = row
        return row

    def create_star(self, star: str, *, principal: Principal | None = None) -> StarRow:
        who = principal or self.principal
        star_id = StarId.parse(star)
        authorize(who, star_id, Role.OWNER)
        if str(star_id) in self._stars:
            raise AlreadyExists(f"Star {str(star_id)!r} already exists.", star=str(star_id))
        return self._insert_star(str(star_id), who)

    def stars(self, *, principal: Principal | None = None) -> builtins.list[str]:
        """The stars this principal may read."""
        who = principal or self.principal
        return sorted(
            s for s in self._stars if (role := who.role_on(StarId.parse(s))) and role >= Role.VIEWER
        )

    def last_seq(self, *, star: str | None = None, principal: Principal | None = None) -> int:
        """The star's latest change sequence (0 before its first change)."""
        name, _ = self._star(star, principal, Role.VIEWER)
        return self._hub.last_seq(name)

    # -- types and guards -----------------------------------------------------------------------

    def define_type(
        self,
        name: str,
        model: type[pydantic.BaseModel] | None = None,
        *,
        json_schema: Mapping[str, Any] | None = None,
        version: int = 1,
        migrate: Migration | None = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> TypeVersion:
        """Define a resource type (or its next version, with ``migrate`` from the previous one)."""
        star_name, who = self._star(star, principal, Role.ADMIN)
        defined, is_new = self._types.define(
            star_name, name, model=model, json_schema=json_schema, version=version, migrate=migrate
        )
        if is_new:
            self._repo.insert_type(
                TypeRow(
                    star_name,
                    name,
                    version,
                    canonical_schema(defined.json_schema),
                    self._clock.now(),
                    who.id,
                )
            )
        return defined

    def types(
        self, *, star: str | None = None, principal: Principal | None = None
    ) -> builtins.list[str]:
        star_name, _ = self._star(star, principal, Role.VIEWER)
        return self._types.names(star_name)

    def type_versions(
        self, name: str, *, star: str | None = None, principal: Principal | None = None
    ) -> tuple[TypeVersion, ...]:
        star_name, _ = self._star(star, principal, Role.VIEWER)
        return self._types.get(star_name, name).versions

    def add_guard(
        self,
        type_name: str,
        guard: Guard,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> None:
        """Add a guard to a type; every guard of the type must allow each operation."""
        star_name, _ = self._star(star, principal, Role.ADMIN)
        self._types.get(star_name, type_name)
        self._guards.add(star_name, type_name, guard)

    # -- writes ---------------------------------------------------------------------------------

    def put(
        self,
        type_name: str,
        id_: str,
        value: Mapping[str, Any] | pydantic.BaseModel,
        *,
        etag: ETagPrecondition = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> Resource:
        """Create or replace a resource; ``etag`` is the precondition (see :func:`commit`)."""
        return self.commit(
            [Put(type_name, id_, plain(value), etag)], star=star, principal=principal
        )[0]

    def delete(
        self,
        type_name: str,
        id_: str,
        *,
        etag: ETagPrecondition = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> Resource:
        """Delete a resource: its current snapshot is closed; history stays. Returns it."""
        return self.commit([Delete(type_name, id_, etag)], star=star, principal=principal)[0]

    @contextmanager
    def transaction(
        self, *, star: str | None = None, principal: Principal | None = None
    ) -> Iterator[Transaction]:
        """Collect puts and deletes; commit them atomically when the block ends without error."""
        tx = Transaction()
        yield tx
        tx.results = self.commit(tx.ops, star=star, principal=principal)

    def commit(
        self,
        ops: Sequence[WriteOp],
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> builtins.list[Resource]:
        """Apply mixed puts and deletes atomically, or raise and change nothing.

        Each op's ``etag`` is ``None`` (no precondition), an eTag the resource must have, or
        :data:`MUST_NOT_EXIST`. If any precondition fails, :class:`TransactionConflict` lists
        every failed item with its current eTag. Returns one snapshot per op (for a delete, the
        snapshot it closed), redacted as the guards ask.
        """
        star_name, who = self._star(star, principal, Role.EDITOR)
        if not ops:
            return []
        if len(ops) > self.limits.max_ops_per_transaction:
            raise InvalidRequest(
                f"A transaction may hold at most {self.limits.max_ops_per_transaction} operations "
                f"({len(ops)} given); split it.",
            )
        with collector_paused():
            return self._commit(star_name, who, ops)

    def _commit(
        self, star_name: str, who: Principal, ops: Sequence[WriteOp]
    ) -> builtins.list[Resource]:
        checked = check_ops(self._types, star_name, ops, self.limits.max_document_bytes)
        keys = [(star_name, op.type, op.id) for op in checked.ops]
        for _ in range(_MAX_RETRIES):
            prepared, hidden = prepare(
                star_name, who, checked, self._current_heads(keys), self._guards
            )
            try:
                resources = self._committer.submit(prepared)
            except Retry:
                continue
            # One resource per op, in the order of the ops.
            return [
                _redacted(resource, fields)
                for resource, fields in zip(resources, hidden, strict=True)
            ]
        raise TransactionConflict(
            star_name,
            [
                ConflictItem(op.type, op.id, "unchanged while guards ran", None)
                for op in checked.ops
            ],
        )

    def _current_heads(
        self, keys: builtins.list[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], HeadRow]:
        """The latest heads: the committer's cache answers without a query, storage the rest."""
        heads, missing = self._committer.cached_heads(keys)
        if missing:
            heads.update(self._repo.read_heads(missing))
        return heads

    # -- reads ----------------------------------------------------------------------------------

    def get(
        self,
        type_name: str,
        id_: str,
        *,
        as_of: datetime | None = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> Resource:
        """The current snapshot, or the one valid at ``as_of``."""
        star_name, who = self._star(star, principal, Role.VIEWER)
        check_type_name(type_name)
        check_resource_id(id_)
        if as_of is None:
            key = (star_name, type_name, id_)
            head = self._current_heads([key]).get(key)
            row = head.snapshot if head is not None and not head.deleted else None
        else:
            row = self._repo.read_as_of(star_name, type_name, id_, _aware(as_of))
        if row is None:
            when = "" if as_of is None else f" at {as_of.isoformat()}"
            raise ResourceNotFound(
                f"{type_name}/{id_} does not exist in star {star_name!r}{when}.",
                star=star_name,
                type=type_name,
                id=id_,
            )
        return self._readable(who, row)

    def list(
        self,
        type_name: str | None = None,
        *,
        after: str | None = None,
        limit: int = 1000,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> builtins.list[Resource]:
        """Current resources of a star (optionally one type), ordered by type and id."""
        star_name, who = self._star(star, principal, Role.VIEWER)
        if type_name is not None:
            check_type_name(type_name)
        limit = max(1, min(limit, self.limits.max_list))
        out = []
        for head in self._repo.list_heads(star_name, type_name, after, limit):
            # A resource a guard hides from this principal is left out, not an error.
            with suppress(GuardDenied):
                out.append(self._readable(who, head.snapshot))
        return out

    def history(
        self,
        type_name: str,
        id_: str,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> builtins.list[Resource]:
        """Every snapshot of a resource, oldest first, including those before a delete."""
        star_name, who = self._star(star, principal, Role.VIEWER)
        check_type_name(type_name)
        check_resource_id(id_)
        rows = self._repo.read_history(star_name, type_name, id_)
        if not rows:
            raise ResourceNotFound(
                f"{type_name}/{id_} has no history in star {star_name!r}.",
                star=star_name,
                type=type_name,
                id=id_,
            )
        return [self._readable(who, row) for row in rows]

    def diff(
        self,
        type_name: str,
        id_: str,
        start: datetime,
        end: datetime,
        *,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> ResourceDiff:
        """How the resource changed from ``start`` to ``end`` (field by field)."""
        before = self._maybe(type_name, id_, start, star, principal)
        after = self._maybe(type_name, id_, end, star, principal)
        changes = diff_values(
            dict(before.value) if before else {}, dict(after.value) if after else {}
        )
        return ResourceDiff(before, after, tuple(changes))

    def _maybe(
        self, type_name: str, id_: str, at: datetime, star: str | None, principal: Principal | None
    ) -> Resource | None:
        try:
            return self.get(type_name, id_, as_of=at, star=star, principal=principal)
        except ResourceNotFound:
            return None

    def _readable(self, who: Principal, row: SnapshotRow) -> Resource:
        """Migrate (writing the current snapshot back) and apply read guards."""
        rtype = self._types.get(row.star, row.type)
        value = json.loads(row.value)
        version = row.schema_version
        if version < rtype.latest.version:
            value = rtype.upgrade(value, version)
            version = rtype.latest.version
            if row.valid_to.year == 9999:
                self._committer.rewrite(
                    (row.star, row.type, row.id), row.sid, dumps(value), version
                )
        resource = to_resource(row, value)
        if version != row.schema_version:
            resource = replace(resource, schema_version=version)
        if self._guards.has(row.star, row.type):
            fields = self._guards.check(
                GuardRequest(who, row.star, row.type, row.id, "read", value, None)
            )
            resource = _redacted(resource, fields)
        return resource

    # -- subscriptions --------------------------------------------------------------------------

    def subscribe(
        self,
        callback: Callable[[Event], Any] | None = None,
        *,
        type_name: str | None = None,
        id_: str | None = None,
        where: Predicate | Mapping[str, Any] | None = None,
        since: int | None = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> Subscription:
        """Changes to a star, a type, one resource, or those passing ``where``.

        ``where`` is a Lookback filter document (``{"state": "Done", "points": {"$gte": 3}}``,
        matched against the snapshot's record) or a predicate on the :class:`Change`.

        With ``callback``, it is called with each :class:`Change` (or :class:`Resync`) on the
        caller's event loop when ``subscribe`` was called from a running one (a notebook cell),
        else on the store's dispatcher thread; without, the returned :class:`ChangeStream` is an
        async iterator. ``since`` resumes after a sequence seen before.
        """
        star_name, who = self._star(star, principal, Role.VIEWER)
        if type_name is not None:
            check_type_name(type_name)
        if id_ is not None:
            check_resource_id(id_)
        scope = Scope(
            star_name, type_name, id_, where_predicate(where), lambda c: self.visible(c, who)
        )
        if callback is not None:
            callback = on_callers_loop(callback)
        return self._hub.subscribe(scope, since=since, callback=callback)

    # -- for hosts that fan changes out to many recipients (the gateway) -----------------------

    def feed(self, star: str, callback: Callable[[Event], Any]) -> Subscription:
        """Every change of ``star``, unfiltered and unguarded, on the dispatcher thread.

        Not for end users: a host that serves many recipients takes one feed per star and
        checks each recipient with :meth:`access` when it subscribes and :meth:`visible` per
        change, instead of the store running a subscription per recipient.
        """
        scope = Scope(str(StarId.parse(star)), None, None, None, lambda change: change)
        return self._hub.subscribe(scope, since=None, callback=callback)

    def replay(self, star: str, after_seq: int, limit: int) -> builtins.list[Change]:
        """The changes of ``star`` after ``after_seq`` (at most ``limit``), unguarded; see
        :meth:`feed`."""
        return self._replay(star, after_seq, limit)

    def changes(
        self,
        *,
        type_name: str | None = None,
        id_: str | None = None,
        where: Predicate | Mapping[str, Any] | None = None,
        since: int | None = None,
        star: str | None = None,
        principal: Principal | None = None,
    ) -> ChangeStream:
        """An async iterator of changes: ``async with store.changes() as stream: ...``."""
        stream = self.subscribe(
            type_name=type_name, id_=id_, where=where, since=since, star=star, principal=principal
        )
        assert isinstance(stream, ChangeStream)
        return stream

    def visible(self, change: Change, principal: Principal) -> Change | None:
        """``change`` as ``principal`` may see it (redacted by guards), or ``None``."""
        if not self._guards.has(change.star, change.type):
            return change
        resource = change.resource
        try:
            fields = self._guards.check(
                GuardRequest(
                    principal, change.star, change.type, change.id, "read", resource.value, None
                )
            )
        except GuardDenied:
            return None
        if not fields:
            return change
        return Change(
            change.star,
            change.seq,
            change.op,
            change.type,
            change.id,
            _redacted(resource, fields),
            change.at,
            change.changed_by,
        )

    def _publish(
        self, last_seqs: Mapping[str, int], changes: Callable[[], builtins.list[Change]]
    ) -> None:
        self._hub.publish(last_seqs, changes)

    def _replay(self, star: str, after_seq: int, limit: int) -> builtins.list[Change]:
        return [
            Change(
                c.star,
                c.seq,
                "put" if c.op == "put" else "delete",
                c.type,
                c.id,
                to_resource(s),
                c.at,
                c.changed_by,
            )
            for c, s in self._repo.read_changes(star, after_seq, limit)
        ]


class Transaction:
    """Operations collected inside ``with store.transaction() as tx``; committed at the end."""

    def __init__(self) -> None:
        self.ops: list[WriteOp] = []
        self.results: list[Resource] = []

    def put(
        self,
        type_name: str,
        id_: str,
        value: Mapping[str, Any] | pydantic.BaseModel,
        *,
        etag: ETagPrecondition = None,
    ) -> None:
        self.ops.append(Put(type_name, id_, plain(value), etag))

    def delete(self, type_name: str, id_: str, *, etag: ETagPrecondition = None) -> None:
        self.ops.append(Delete(type_name, id_, etag))


def where_predicate(where: Predicate | Mapping[str, Any] | None) -> Predicate | None:
    """A filter document becomes a predicate on the change's snapshot record."""
    if where is None or callable(where):
        return where
    from nebula_kernel.lookback import filter_matches, parse_filter

    parsed = parse_filter(where, location="where")
    return lambda change: filter_matches(parsed, change.resource.to_record())


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidRequest(
            f"as_of={moment.isoformat()} has no time zone; pass an aware datetime "
            "(e.g. datetime.now(UTC))."
        )
    return moment


def _redacted(resource: Resource, fields: frozenset[str]) -> Resource:
    if not fields:
        return resource
    return replace(
        resource,
        value=redact(resource.value, fields),
        previous_values=redact(resource.previous_values, fields),
    )
