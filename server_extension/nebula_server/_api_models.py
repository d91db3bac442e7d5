"""The JSON shapes of the REST API (pydantic at the boundary), shared with the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from nebula_kernel.resources import MUST_NOT_EXIST, Delete, ETagPrecondition, Put, Resource

__all__ = [
    "CreateStar",
    "DefineType",
    "JsonObject",
    "ResourceOut",
    "TransactionIn",
    "resource_out",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateStar(_Strict):
    star: str = Field(description="universe.galaxy.star")


class DefineType(_Strict):
    json_schema: dict[str, Any] = Field(description="A JSON Schema describing an object")
    version: int = Field(1, ge=1)


class _Precondition(_Strict):
    etag: str | None = Field(None, description="The eTag the resource must have now")
    must_not_exist: bool = Field(False, description="The resource must not exist now")

    def precondition(self) -> ETagPrecondition:
        return MUST_NOT_EXIST if self.must_not_exist else self.etag


class PutOp(_Precondition):
    op: Literal["put"]
    type: str
    id: str
    value: dict[str, Any]

    def to_op(self) -> Put:
        return Put(self.type, self.id, self.value, self.precondition())


class DeleteOp(_Precondition):
    op: Literal["delete"]
    type: str
    id: str

    def to_op(self) -> Delete:
        return Delete(self.type, self.id, self.precondition())


class TransactionIn(_Strict):
    ops: list[Annotated[PutOp | DeleteOp, Field(discriminator="op")]] = Field(min_length=1)


class JsonObject(RootModel[dict[str, Any]]):
    """A resource value: any JSON object (its type's schema validates it)."""


class ResourceOut(BaseModel):
    star: str
    type: str
    id: str
    value: dict[str, Any]
    etag: str
    snapshot_number: int
    valid_from: datetime
    valid_to: datetime
    previous_values: dict[str, Any]
    changed_by: str
    schema_version: int


def resource_out(resource: Resource) -> dict[str, Any]:
    return resource.to_json()
