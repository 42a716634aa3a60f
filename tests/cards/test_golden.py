"""Golden files: the full cards of every fixture, as reviewed. A change to any card shows up as a diff here.

After an intended change, regenerate with  UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/cards/test_golden.py
and review the diff of tests/cards/golden/ like code.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import fixture_names, load_fixture, service_url

GOLDEN = Path(__file__).resolve().parent / "golden"
_KB_VERSION = re.compile(r"_Knowledge base [^_]+_")


def normalised(value: Any) -> Any:
    """Replace what changes on every call (uuids, ids of suggested resources, the knowledge-base hash)."""
    if isinstance(value, dict):
        return {k: "<generated>" if k in ("uuid", "id") else normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, str):
        return _KB_VERSION.sub("_Knowledge base <version>_", value)
    return value


@pytest.mark.parametrize("name", fixture_names())
async def test_cards_match_the_reviewed_golden_file(client: httpx.AsyncClient, name: str) -> None:
    body = load_fixture(name)
    response = await client.post(service_url(body), json=body)
    actual = normalised(response.json())
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert actual == json.loads(path.read_text()), f"cards of {name} changed; see the module docstring"
