"""Whatever a client sends, the answer is a 2xx/4xx with a JSON body, never a 500 (hypothesis)."""

from __future__ import annotations

import asyncio
import copy
import json
import tempfile
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_service.app import create_app
from cds_service.settings import Settings
from tests.conformance import check_operation_outcome, check_service_response
from tests.conftest import FIXTURE_NOW, fixture_names, load_fixture, service_url

APP = create_app(
    Settings(auth="off", database_url=f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/cds.db"), clock=lambda: FIXTURE_NOW
)
FIXTURES = {name: load_fixture(name) for name in fixture_names()}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += paths(item, (*prefix, i))
    return found


async def post(body: Any, url: str) -> httpx.Response:
    content = json.dumps(body).encode()  # also for a body of `null`, which httpx's json= would leave out
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://t") as client:
        return await client.post(url, content=content, headers={"Content-Type": "application/json"})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(FIXTURES)), data=st.data())
def test_any_field_replaced_by_junk_never_gives_a_500(name: str, data: st.DataObject) -> None:
    body = copy.deepcopy(FIXTURES[name])
    url = service_url(body)
    target = data.draw(st.sampled_from(paths(body)[1:]))
    junk = data.draw(json_values)
    parent = body
    for key in target[:-1]:
        parent = parent[key]
    parent[target[-1]] = junk
    response = asyncio.run(post(body, url))
    assert response.status_code in (200, 400, 412), (target, response.text)
    if response.status_code == 200:
        check_service_response(response.json())
    else:
        check_operation_outcome(response.json())


feedback_items = st.fixed_dictionaries(
    {},
    optional={
        "card": json_values | st.uuids().map(str),
        "outcome": json_values | st.sampled_from(["accepted", "overridden"]),
        "acceptedSuggestions": json_values | st.lists(st.fixed_dictionaries({"id": st.text(max_size=5)}), max_size=2),
        "overrideReason": json_values | st.fixed_dictionaries({"reason": json_values, "userComment": json_values}),
        "outcomeTimestamp": json_values | st.sampled_from(["2026-11-20T10:05:31Z", "2026-11-20T10:05:31.5+00:00"]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(json_values, st.fixed_dictionaries({"feedback": st.lists(feedback_items, max_size=3)})))
def test_any_feedback_body_is_stored_or_refused_with_400_never_a_500(body: Any) -> None:
    response = asyncio.run(post(body, "/cds-services/leukopenia-patient-view/feedback"))
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        check_operation_outcome(response.json())
