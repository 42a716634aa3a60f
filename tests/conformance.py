"""The CDS Hooks response rules every answer of the suite is checked against ("CDS Service Response",
"Card Attributes", "Use of JSON")."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

INDICATORS = {"info", "warning", "critical"}
SELECTION = {"at-most-one", "any"}
ACTION_TYPES = {"create", "update", "delete"}
_markdown = MarkdownIt("commonmark").enable("table")


def _absolute(url: Any) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)


def _no_empty_values(value: Any, where: str) -> None:
    # "Use of JSON": optional attributes without a value are omitted, never null or empty.
    if value is None:
        raise AssertionError(f"{where} is null")
    if isinstance(value, dict):
        assert value, f"{where} is an empty object"
        for key, item in value.items():
            _no_empty_values(item, f"{where}.{key}")
    elif isinstance(value, list):
        assert value, f"{where} is an empty array"
        for i, item in enumerate(value):
            _no_empty_values(item, f"{where}[{i}]")
    elif isinstance(value, str):
        assert value, f"{where} is an empty string"


def check_action(action: dict[str, Any], where: str) -> None:
    assert action.get("type") in ACTION_TYPES, where
    assert isinstance(action.get("description"), str), where
    if action["type"] in ("create", "update"):
        assert isinstance(action.get("resource"), dict) and "resourceType" in action["resource"], where
    if action["type"] == "delete":
        assert isinstance(action.get("resourceId"), str) and "/" in action["resourceId"], where


def check_card(card: dict[str, Any], where: str = "card") -> None:
    assert isinstance(card.get("uuid"), str), f"{where}: uuid"
    summary = card.get("summary")
    assert isinstance(summary, str) and 0 < len(summary) < 140, f"{where}: summary {summary!r}"
    assert card.get("indicator") in INDICATORS, f"{where}: indicator"
    source = card.get("source")
    assert isinstance(source, dict) and isinstance(source.get("label"), str) and source["label"], where
    for key in ("url", "icon"):
        if key in source:
            assert _absolute(source[key]), f"{where}: source.{key}"
    if "detail" in card:
        assert isinstance(card["detail"], str)
        _markdown.parse(card["detail"])
    if "suggestions" in card:
        assert card.get("selectionBehavior") in SELECTION, f"{where}: selectionBehavior"
        for i, suggestion in enumerate(card["suggestions"]):
            assert isinstance(suggestion.get("label"), str) and suggestion["label"], where
            for j, action in enumerate(suggestion.get("actions", [])):
                check_action(action, f"{where}.suggestions[{i}].actions[{j}]")
    else:
        assert "selectionBehavior" not in card, f"{where}: selectionBehavior without suggestions"
    for reason in card.get("overrideReasons", []):
        assert isinstance(reason.get("display"), str) and reason["display"], f"{where}: overrideReasons display"
    for link in card.get("links", []):
        assert link.get("label") and _absolute(link.get("url")), f"{where}: link"
        assert link.get("type") in ("absolute", "smart"), f"{where}: link type"
        if link["type"] == "absolute":
            assert "appContext" not in link
    _no_empty_values(card, where)


def check_service_response(body: Any) -> None:
    assert isinstance(body, dict) and isinstance(body.get("cards"), list), "cards array required"
    assert set(body) <= {"cards", "systemActions"}, f"unexpected keys {set(body)}"
    for i, card in enumerate(body["cards"]):
        check_card(card, f"cards[{i}]")
    for i, action in enumerate(body.get("systemActions", [])):
        assert action.get("type") in ACTION_TYPES, f"systemActions[{i}]"


def check_operation_outcome(body: Any) -> None:
    assert isinstance(body, dict) and body.get("resourceType") == "OperationOutcome", body
    issue = body["issue"][0]
    assert issue["severity"] in ("error", "fatal") and issue["code"], issue
    assert issue["details"]["text"], issue
