"""Parsing and validating a CDS Hooks service request ("Calling a CDS Service")."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from cds_service.protocol.errors import InvalidRequest
from cds_service.protocol.hooks import HookDefinition

JsonObject = dict[str, Any]


class FhirAuthorization(BaseModel):
    """The access token a CDS client hands us for its FHIR server ("Passing the Access Token")."""

    model_config = ConfigDict(extra="allow", frozen=True)

    access_token: StrictStr = Field(min_length=1)
    token_type: StrictStr
    expires_in: StrictInt = Field(ge=0)
    scope: StrictStr
    subject: StrictStr
    patient: StrictStr | None = None

    @field_validator("token_type")
    @classmethod
    def _bearer_only(cls, value: str) -> str:
        if value.lower() != "bearer":
            raise ValueError("token_type must be 'Bearer'")
        return "Bearer"

    def __repr__(self) -> str:  # never let the token reach a log line or traceback
        return f"FhirAuthorization(subject={self.subject!r}, scope={self.scope!r}, access_token=***)"

    __str__ = __repr__


class HookRequest(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    hook: StrictStr = Field(min_length=1)
    hookInstance: StrictStr  # noqa: N815 - the standard's field name
    fhirServer: StrictStr | None = None  # noqa: N815
    fhirAuthorization: FhirAuthorization | None = None  # noqa: N815
    context: JsonObject
    prefetch: dict[str, Any] | None = None

    @field_validator("hookInstance")
    @classmethod
    def _uuid(cls, value: str) -> str:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ValueError("hookInstance must be a UUID") from None
        return value

    @field_validator("fhirServer")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("fhirServer must be an absolute http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _authorization_needs_server(self) -> HookRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirServer is required when fhirAuthorization is given")
        return self


def parse_json_body(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest("Request body is not valid JSON.", diagnostics=f"JSON error: {exc}") from None


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(body)"


def parse_hook_request(payload: Any, hook_definition: HookDefinition) -> HookRequest:
    """Validate the envelope, then the context fields the hook requires. Errors name the field."""
    if not isinstance(payload, dict):
        raise InvalidRequest("Request body must be a JSON object.")
    try:
        request = HookRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _location(first["loc"])
        # The message names the field and the rule; it never echoes the submitted value.
        raise InvalidRequest(f"Invalid field '{where}': {first['msg']}.", expression=[where]) from None
    if request.hook != hook_definition.name:
        raise InvalidRequest(
            f"This service answers the '{hook_definition.name}' hook, not '{request.hook}'.",
            expression=["hook"],
        )
    _check_context(request.context, hook_definition)
    return request


def _check_context(context: JsonObject, hook_definition: HookDefinition) -> None:
    for field in hook_definition.context:
        where = f"context.{field.name}"
        if field.name not in context or context[field.name] is None:
            if field.required:
                raise InvalidRequest(f"Missing required field '{where}'.", expression=[where])
            continue
        value = context[field.name]
        if field.type == "string" and not (isinstance(value, str) and value):
            raise InvalidRequest(f"Field '{where}' must be a non-empty string.", expression=[where])
        if field.type == "array" and not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise InvalidRequest(f"Field '{where}' must be an array of strings.", expression=[where])
        if field.type == "Bundle" and not (
            isinstance(value, dict)
            and value.get("resourceType") == "Bundle"
            and isinstance(value.get("entry", []), list)
        ):
            raise InvalidRequest(f"Field '{where}' must be a FHIR Bundle.", expression=[where])
