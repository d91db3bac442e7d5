"""Resource types: versioned schemas, validation with field-level errors, and migrations.

A type is a pydantic model or a JSON Schema. Version N+1 comes with a migration from version N;
a value stored at an old version is carried forward through each migration in turn and then
validated against the latest version. The JSON Schema of every version is persisted with the
store, so values keep validating after a restart; pydantic models and migrations are code and
are registered again by the process that uses them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import pydantic

from nebula_kernel.errors import (
    AlreadyExists,
    FieldError,
    InvalidDefinition,
    MigrationFailed,
    TypeNotFound,
    ValidationFailed,
)
from nebula_kernel.resources._ids import check_type_name

__all__ = ["Migration", "ResourceType", "TypeRegistry", "TypeVersion", "canonical_schema"]

Migration = Callable[[dict[str, Any]], Mapping[str, Any]]
"""Turns a value of version N-1 into a value of version N."""


def canonical_schema(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class TypeVersion:
    """One version of a type. ``migrate`` turns a value of the previous version into this one."""

    name: str
    version: int
    json_schema: Mapping[str, Any]
    model: type[pydantic.BaseModel] | None = None
    migrate: Migration | None = None
    # Built once: compiling a JSON Schema validator costs far more than running it.
    _validator: Any = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.model is None:
            validator = jsonschema.Draft202012Validator(
                self.json_schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            )
            object.__setattr__(self, "_validator", validator)

    def validate(self, value: Any) -> dict[str, Any]:
        """Return the normalized value, or raise :class:`ValidationFailed` listing every problem."""
        if self.model is not None:
            # The model's own validator and serializer, as model_validate() and
            # model_dump(mode="json") call them, without their per-call wrappers: this runs
            # once per value written, and a big transaction writes 10,000 values.
            try:
                instance = self.model.__pydantic_validator__.validate_python(value)
            except pydantic.ValidationError as exc:
                errors = [
                    FieldError(tuple(err["loc"]), err["msg"], err["type"])
                    for err in exc.errors(include_url=False, include_input=False)
                ]
                raise self._failed(errors) from None
            normalized: dict[str, Any] = self.model.__pydantic_serializer__.to_python(
                instance, mode="json"
            )
            return normalized
        if not isinstance(value, Mapping):
            raise self._failed([FieldError((), "a resource value must be a JSON object", "type")])
        found = sorted(
            self._validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path]
        )
        if found:
            raise self._failed(
                [FieldError(tuple(e.absolute_path), e.message, str(e.validator)) for e in found]
            )
        return dict(value)

    def _failed(self, errors: list[FieldError]) -> ValidationFailed:
        listed = "; ".join(f"{e.location}: {e.message}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        return ValidationFailed(
            f"Value does not fit type {self.name!r} v{self.version}: {listed}{more}. Fix these "
            "fields and write again.",
            errors,
            type=self.name,
            version=self.version,
        )


@dataclass(frozen=True, slots=True)
class ResourceType:
    name: str
    versions: tuple[TypeVersion, ...]

    @property
    def latest(self) -> TypeVersion:
        return self.versions[-1]

    def upgrade(self, value: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Carry a stored value forward to the latest version."""
        for target in self.versions[from_version:]:
            if target.migrate is None:
                raise MigrationFailed(
                    f"Type {self.name!r} has no migration from v{target.version - 1} to "
                    f"v{target.version} registered in this process. Call define_type() for "
                    f"v{target.version} with its migrate= function before reading old values.",
                    type=self.name,
                    version=target.version,
                )
            try:
                value = dict(target.migrate(dict(value)))
            except Exception as exc:
                raise MigrationFailed(
                    f"The migration of type {self.name!r} to v{target.version} raised "
                    f"{type(exc).__name__}: {str(exc)[:200]}. Fix the migration function; the "
                    "stored value is unchanged.",
                    type=self.name,
                    version=target.version,
                ) from None
        try:
            return self.latest.validate(value)
        except ValidationFailed as exc:
            raise MigrationFailed(
                f"Migrating a value of type {self.name!r} from v{from_version} produced a value "
                f"that does not fit v{self.latest.version}: {exc.message}",
                type=self.name,
                version=self.latest.version,
                errors=list(exc.errors),
            ) from None


def _schema_of(
    name: str, model: type[pydantic.BaseModel] | None, json_schema: Mapping[str, Any] | None
) -> dict[str, Any]:
    if (model is None) == (json_schema is None):
        raise InvalidDefinition(
            f"Define type {name!r} with exactly one of model= (a pydantic model class) or "
            "json_schema= (a JSON Schema object)."
        )
    if model is not None:
        if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
            raise InvalidDefinition(f"model= for type {name!r} must be a pydantic BaseModel class.")
        return model.model_json_schema()
    assert json_schema is not None
    schema = dict(json_schema)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise InvalidDefinition(
            f"The JSON Schema for type {name!r} is not valid: {exc.message}.", type=name
        ) from None
    if schema.get("type") != "object":
        raise InvalidDefinition(
            f"The JSON Schema for type {name!r} must describe an object ('type': 'object'): a "
            "resource value is a JSON object.",
            type=name,
        )
    return schema


class TypeRegistry:
    """The types of every star, by (star, name). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._types: dict[tuple[str, str], ResourceType] = {}

    def define(
        self,
        star: str,
        name: str,
        *,
        model: type[pydantic.BaseModel] | None = None,
        json_schema: Mapping[str, Any] | None = None,
        version: int = 1,
        migrate: Migration | None = None,
    ) -> tuple[TypeVersion, bool]:
        """Register a version; returns it and whether it is new (to be persisted)."""
        check_type_name(name)
        schema = _schema_of(name, model, json_schema)
        if not isinstance(version, int) or version < 1:
            raise InvalidDefinition(f"Type {name!r}: version must be an integer >= 1.")
        if version == 1 and migrate is not None:
            raise InvalidDefinition(f"Type {name!r}: version 1 has nothing to migrate from.")
        with self._lock:
            existing = self._types.get((star, name))
            versions = list(existing.versions) if existing else []
            defined = TypeVersion(name, version, schema, model, migrate)
            if version <= len(versions):
                known = versions[version - 1]
                if canonical_schema(known.json_schema) != canonical_schema(schema):
                    raise AlreadyExists(
                        f"Type {name!r} v{version} already exists in star {star!r} with a "
                        f"different schema. Define v{len(versions) + 1} with a migrate= function "
                        "from the latest version instead.",
                        type=name,
                        version=version,
                    )
                versions[version - 1] = TypeVersion(
                    name, version, schema, model or known.model, migrate or known.migrate
                )
                self._types[(star, name)] = ResourceType(name, tuple(versions))
                return versions[version - 1], False
            if version != len(versions) + 1:
                raise InvalidDefinition(
                    f"Type {name!r} has {len(versions)} version(s); define v{len(versions) + 1} "
                    f"before v{version}.",
                    type=name,
                )
            if version > 1 and migrate is None:
                raise InvalidDefinition(
                    f"Type {name!r} v{version} needs migrate=: a function turning a v{version - 1} "
                    f"value into a v{version} value (use lambda v: v if nothing changes).",
                    type=name,
                )
            versions.append(defined)
            self._types[(star, name)] = ResourceType(name, tuple(versions))
            return defined, True

    def restore(self, star: str, name: str, version: int, json_schema: Mapping[str, Any]) -> None:
        """Load a persisted version (its migration, being code, is registered again later)."""
        with self._lock:
            existing = self._types.get((star, name))
            versions = list(existing.versions) if existing else []
            if version == len(versions) + 1:
                versions.append(TypeVersion(name, version, dict(json_schema)))
                self._types[(star, name)] = ResourceType(name, tuple(versions))

    def get(self, star: str, name: str) -> ResourceType:
        found = self._types.get((star, name))
        if found is None:
            known = ", ".join(sorted(n for s, n in self._types if s == star)) or "none yet"
            raise TypeNotFound(
                f"Star {star!r} has no resource type {name!r} (known: {known}). Define it with "
                "define_type() first.",
                star=star,
                type=name,
            )
        return found

    def names(self, star: str) -> list[str]:
        return sorted(n for s, n in self._types if s == star)
