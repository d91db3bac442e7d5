"""The live resource view: a widget whose state is the resource's current snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from nebula_kernel.errors import ResourceNotFound
from nebula_kernel.resources import Change, Resource, Resync

if TYPE_CHECKING:
    from nebula_kernel.client import Resources

__all__ = ["ResourceWidget", "resource_widget"]


def _plain(value: Any) -> Any:
    """JSON for the browser: typed values (datetimes, decimals, bytes, sets) shown as text."""
    return json.loads(json.dumps(value, default=str))


class ResourceWidget(anywidget.AnyWidget):
    """One resource, kept current by a subscription until the widget is closed."""

    _esm = Path(__file__).with_name("_resource.js")

    star = traitlets.Unicode().tag(sync=True)
    type_name = traitlets.Unicode().tag(sync=True)
    resource_id = traitlets.Unicode().tag(sync=True)
    value = traitlets.Dict().tag(sync=True)
    etag = traitlets.Unicode().tag(sync=True)
    snapshot_number = traitlets.Int().tag(sync=True)
    changed_by = traitlets.Unicode().tag(sync=True)
    valid_from = traitlets.Unicode().tag(sync=True)
    changed_fields = traitlets.List(traitlets.Unicode()).tag(sync=True)
    deleted = traitlets.Bool(False).tag(sync=True)
    notice = traitlets.Unicode().tag(sync=True)

    def __init__(self, source: Resources, resource: Resource) -> None:
        super().__init__(star=resource.star, type_name=resource.type, resource_id=resource.id)
        self._show(resource)
        self._source = source
        self._subscription = source.subscribe(
            self._on_event, type_name=resource.type, id_=resource.id, star=resource.star
        )

    def _show(self, resource: Resource) -> None:
        with self.hold_sync():  # one message to the browser per snapshot
            self.value = _plain(dict(resource.value))
            self.etag = resource.etag
            self.snapshot_number = resource.snapshot_number
            self.changed_by = resource.changed_by
            self.valid_from = resource.valid_from.isoformat()
            self.changed_fields = sorted(resource.previous_values)
            self.deleted = False
            self.notice = ""

    def _on_event(self, event: Change | Resync) -> None:
        if isinstance(event, Resync):
            # Changes were missed: the snapshot shown may be stale, so read it again.
            try:
                latest = self._source.get(self.type_name, self.resource_id, star=self.star)
            except ResourceNotFound:
                self.deleted = True
                self.notice = "deleted"
            else:
                self._show(latest)
        elif event.op == "delete":
            self.deleted = True
            self.notice = f"deleted by {event.changed_by} at {event.at.isoformat()}"
        else:
            self._show(event.resource)

    def close(self) -> None:
        self._subscription.close()
        super().close()


def resource_widget(resource: Resource, source: Resources | None = None) -> ResourceWidget:
    """A live view of ``resource``, following changes through ``source`` (default: the
    connection :func:`nebula_kernel.connect` opened)."""
    from nebula_kernel.client import current

    return ResourceWidget(source if source is not None else current(), resource)
