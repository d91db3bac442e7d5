"""Triggers declared in a workflow file (``triggers:``), for a host that deploys the file.

A file's triggers are data, checked like the rest of the definition (each problem with its
line); a host that deploys the file (the Jupyter server, see ``NebulaApp.workflow_deployments``)
turns them into :class:`CronTrigger` / :class:`ResourceChangeTrigger` with :func:`to_trigger`::

    triggers:
      - kind: cron
        id: nightly
        schedule: "30 2 * * *"
        timezone: Europe/Paris
        catch_up: latest
      - kind: resource_change
        id: on-done
        type: Task
        ops: [put]
        where: {state: Done}

A trigger's ``star`` defaults to the host's default star. Its ``id`` is part of every fire id,
so it must stay the same across edits for restarts not to fire twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nebula_kernel.errors import NebulaError

if TYPE_CHECKING:
    from nebula_kernel.workflows._cron import CronTrigger
    from nebula_kernel.workflows._triggers import ResourceChangeTrigger

__all__ = ["ChangeTriggerSpec", "CronTriggerSpec", "TriggerSpec", "to_trigger"]


_ANY_STAR = "nebula.check.star"  # checks a spec without a star of its own


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    star: str | None = None

    @model_validator(mode="after")
    def _buildable(self) -> _Spec:
        # The runtime's own trigger classes hold the rules (cron syntax, time zones, ids, star
        # addresses, filters); a spec is valid exactly when one can be built from it.
        assert isinstance(self, (CronTriggerSpec, ChangeTriggerSpec))
        try:
            to_trigger(self, self.star or _ANY_STAR)
        except NebulaError as error:
            raise ValueError(error.message) from None
        return self


class CronTriggerSpec(_Spec):
    kind: Literal["cron"]
    schedule: str = Field(description="five-field cron expression, or @daily / @hourly / ...")
    timezone: str = "UTC"
    catch_up: Literal["skip", "latest", "all"] = "latest"
    max_catch_up: int = Field(default=100, ge=1)


class ChangeTriggerSpec(_Spec):
    kind: Literal["resource_change"]
    type: str
    resource_id: str | None = None
    ops: tuple[Literal["put", "delete"], ...] = ("put", "delete")
    where: dict[str, Any] | None = Field(default=None, description="a Lookback filter document")


TriggerSpec = Annotated[CronTriggerSpec | ChangeTriggerSpec, Field(discriminator="kind")]


def to_trigger(
    spec: CronTriggerSpec | ChangeTriggerSpec, star: str
) -> CronTrigger | ResourceChangeTrigger:
    """The runtime trigger ``spec`` declares, in ``spec.star`` or else ``star``."""
    # Imported here: the definition module (imported by everything) must stay light.
    from nebula_kernel.workflows._cron import CronTrigger
    from nebula_kernel.workflows._triggers import ResourceChangeTrigger

    if isinstance(spec, CronTriggerSpec):
        return CronTrigger(spec.id, spec.schedule, spec.timezone, spec.catch_up, spec.max_catch_up)
    return ResourceChangeTrigger(
        spec.id, spec.star or star, spec.type, spec.resource_id, frozenset(spec.ops), spec.where
    )
