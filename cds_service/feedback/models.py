"""The feedback request, validated as the standard describes it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator, model_validator

from cds_service.protocol.errors import InvalidRequest

# RFC 3339 section 5.6 date-time, in UTC ("Z" or a zero offset), as the standard requires for outcomeTimestamp.
_RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]00:00)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Coding(_Model):
    system: StrictStr | None = None
    code: StrictStr | None = None
    display: StrictStr | None = None


class AcceptedSuggestion(_Model):
    id: StrictStr = Field(min_length=1)


class OverrideReason(_Model):
    reason: Coding | None = None
    userComment: StrictStr | None = None  # noqa: N815 - the standard's field name


class FeedbackItem(_Model):
    card: StrictStr = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None  # noqa: N815
    overrideReason: OverrideReason | None = None  # noqa: N815
    outcomeTimestamp: StrictStr  # noqa: N815

    @field_validator("outcomeTimestamp")
    @classmethod
    def _rfc3339_utc(cls, value: str) -> str:
        if not _RFC3339_UTC.match(value):
            raise ValueError("outcomeTimestamp must be an RFC 3339 date-time in UTC, e.g. 2026-11-20T10:05:31Z")
        try:
            datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            raise ValueError("outcomeTimestamp is not a valid date-time") from None
        return value

    @model_validator(mode="after")
    def _accepted_needs_suggestions(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is required when outcome is 'accepted'")
        return self

    @property
    def outcome_time(self) -> datetime:
        return datetime.fromisoformat(self.outcomeTimestamp.replace("z", "Z")).astimezone(UTC)


class FeedbackRequest(_Model):
    feedback: list[FeedbackItem] = Field(min_length=1)


def parse_feedback(payload: Any) -> FeedbackRequest:
    if not isinstance(payload, dict):
        raise InvalidRequest("Feedback body must be a JSON object with a 'feedback' array.")
    try:
        return FeedbackRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(body)"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidRequest(f"Invalid field '{where}': {message}.", expression=[where]) from None
