"""JSON responses serialised with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def outcome_response(outcome: dict[str, Any], status_code: int, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse(outcome, status_code=status_code, headers=headers)
