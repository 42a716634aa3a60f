"""Reading from the CDS client's FHIR server: concurrent, paginated, within a time budget, and careful with
the access token (sent only to the `fhirServer` origin, never logged)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import orjson

from cds_service.data.bundles import Resource, next_link, resources_of

FHIR_JSON = "application/fhir+json"


class FhirReadError(Exception):
    """A read failed; the message is safe to show the caller (no token, no response body)."""


@dataclass(frozen=True)
class FhirServer:
    base_url: str
    access_token: str | None = field(default=None, repr=False)

    @property
    def origin(self) -> str:
        return origin_of(self.base_url)


def origin_of(url: str) -> str:
    """scheme://host:port, with the default port made explicit, for comparing where requests go."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    @property
    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())


class FhirReader:
    """One per process: shares a pooled ``httpx.AsyncClient`` across hook calls."""

    def __init__(self, client: httpx.AsyncClient, *, request_timeout: float, max_pages: int, retries: int = 1) -> None:
        self._client = client
        self._request_timeout = request_timeout
        self._max_pages = max_pages
        self._retries = retries

    async def search(self, server: FhirServer, query: str, deadline: Deadline) -> list[Resource]:
        """All resources of a read or search, following `next` links up to the page cap."""
        body = await self._get(server, urljoin(server.base_url + "/", query), deadline)
        return await self.complete(server, body, deadline)

    async def complete(self, server: FhirServer, body: Any, deadline: Deadline) -> list[Resource]:
        """The resources of a (possibly paginated) Bundle or single resource, fetching further pages."""
        resources = list(resources_of(body))
        pages = 1
        url = next_link(body)
        while url is not None and pages < self._max_pages:
            body = await self._get(server, url, deadline)
            resources.extend(resources_of(body))
            pages += 1
            url = next_link(body)
        return resources

    async def _get(self, server: FhirServer, url: str, deadline: Deadline) -> Any:
        if origin_of(url) != server.origin:
            # A next link to another host would carry the token away: refuse it.
            raise FhirReadError("a link points outside the fhirServer origin and was not followed")
        headers = {"Accept": FHIR_JSON}
        if server.access_token:
            headers["Authorization"] = f"Bearer {server.access_token}"
        attempt = 0
        while True:
            remaining = deadline.remaining
            if remaining <= 0:
                raise FhirReadError("the time budget for FHIR reads ran out")
            try:
                response = await self._client.get(
                    url, headers=headers, timeout=min(self._request_timeout, remaining), follow_redirects=False
                )
            except httpx.TimeoutException:
                if attempt < self._retries:
                    attempt += 1
                    continue
                raise FhirReadError("the FHIR server did not answer in time") from None
            except httpx.HTTPError as exc:
                raise FhirReadError(f"the FHIR server could not be reached ({type(exc).__name__})") from None
            if response.status_code >= 500 and attempt < self._retries:
                attempt += 1
                continue
            if response.status_code != 200:
                raise FhirReadError(f"the FHIR server answered HTTP {response.status_code}")
            try:
                return orjson.loads(response.content)
            except orjson.JSONDecodeError:
                raise FhirReadError("the FHIR server answered with invalid JSON") from None

    async def read_many(
        self, server: FhirServer, queries: Mapping[str, str], deadline: Deadline
    ) -> dict[str, list[Resource] | FhirReadError]:
        """Run every query concurrently; each key gets its resources or the error that stopped it."""

        async def one(query: str) -> list[Resource] | FhirReadError:
            try:
                return await asyncio.wait_for(self.search(server, query, deadline), timeout=deadline.remaining)
            except TimeoutError:
                return FhirReadError("the time budget for FHIR reads ran out")
            except FhirReadError as exc:
                return exc

        results = await asyncio.gather(*(one(q) for q in queries.values()))
        return dict(zip(queries.keys(), results, strict=True))
