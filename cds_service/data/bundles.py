"""Taking resources out of prefetch values and context Bundles, tolerating whatever a client sends.

A prefetch value may be a resource, a searchset Bundle, `null`, or an OperationOutcome (the client's prefetch
failed). Entries that are not objects are skipped here; resource-level validation happens later and only for
the resources the engine selects, so one broken entry never hides the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

Resource = dict[str, Any]


def is_operation_outcome(value: Any) -> bool:
    """True when the value is, or a Bundle containing, an OperationOutcome that reports an error."""
    if not isinstance(value, dict):
        return False
    if value.get("resourceType") == "OperationOutcome":
        return _has_error(value)
    if value.get("resourceType") == "Bundle":
        # A searchset may carry a warning OperationOutcome (search.mode "outcome") next to real matches; only
        # a Bundle with nothing but failing outcomes counts as a failed prefetch.
        resources = list(bundle_resources(value))
        return bool(resources) and all(r.get("resourceType") == "OperationOutcome" and _has_error(r) for r in resources)
    return False


def _has_error(outcome: Resource) -> bool:
    issues = outcome.get("issue")
    if not isinstance(issues, list) or not issues:
        return True
    return any(isinstance(i, dict) and i.get("severity") in ("error", "fatal") for i in issues)


def bundle_resources(bundle: Resource) -> Iterator[Resource]:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
            yield entry["resource"]


def resources_of(value: Any) -> Iterator[Resource]:
    """Every resource in a prefetch value or context Bundle, with contained Observations lifted out."""
    if not isinstance(value, dict):
        return
    found = bundle_resources(value) if value.get("resourceType") == "Bundle" else iter((value,))
    for resource in found:
        yield resource
        yield from _contained_observations(resource)


def _contained_observations(resource: Resource) -> Iterator[Resource]:
    # Panels and DiagnosticReports may carry their members as contained resources (hasMember "#id").
    if resource.get("resourceType") not in ("Observation", "DiagnosticReport"):
        return
    contained = resource.get("contained")
    if not isinstance(contained, list):
        return
    parent_subject = resource.get("subject")
    for item in contained:
        if isinstance(item, dict) and item.get("resourceType") == "Observation":
            # A contained member inherits its container's subject when it has none of its own.
            yield item if "subject" in item or parent_subject is None else {**item, "subject": parent_subject}


def next_link(bundle: Any) -> str | None:
    if not isinstance(bundle, dict) or not isinstance(bundle.get("link"), list):
        return None
    for link in bundle["link"]:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def unique_resources(resources: Iterable[Resource]) -> list[Resource]:
    """Drop repeats of the same resource (same type and id), keeping the first; id-less ones are kept."""
    seen: set[tuple[str, str]] = set()
    unique: list[Resource] = []
    for resource in resources:
        rid = resource.get("id")
        key = (str(resource.get("resourceType")), rid) if isinstance(rid, str) else None
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        unique.append(resource)
    return unique
