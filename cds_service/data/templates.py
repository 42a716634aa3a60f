"""Rendering prefetch templates ("Prefetch tokens"): `{{context.X}}`, the user tokens, and simple traversal of
FHIR resources in context such as `{{context.draftOrders.MedicationRequest.id}}`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from cds_service.data.bundles import resources_of

_TOKEN = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")
_USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}


class UnrenderableTemplate(ValueError):
    """A token has no value in this call's context, so the query cannot be built."""


def render_template(template: str, context: Mapping[str, Any]) -> str:
    def substitute(match: re.Match[str]) -> str:
        values = token_values(match.group(1), context)
        if not values:
            raise UnrenderableTemplate(match.group(1))
        return ",".join(quote(v, safe="/:|-._") for v in values)

    return _TOKEN.sub(substitute, template)


def token_values(token: str, context: Mapping[str, Any]) -> list[str]:
    if token in _USER_TOKENS:
        user = context.get("userId")
        prefix = _USER_TOKENS[token] + "/"
        return [user[len(prefix) :]] if isinstance(user, str) and user.startswith(prefix) else []
    parts = token.split(".")
    if parts[0] != "context" or len(parts) < 2:
        return []
    value = context.get(parts[1])
    if len(parts) == 2:
        return [value] if isinstance(value, str) and value else []
    # context.<Bundle field>.<ResourceType>.<element>: the element of each resource of that type.
    if len(parts) == 4 and isinstance(value, dict):
        found = [r.get(parts[3]) for r in resources_of(value) if r.get("resourceType") == parts[2]]
        return [v for v in found if isinstance(v, str) and v]
    return []
