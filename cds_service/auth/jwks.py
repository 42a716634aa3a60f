"""JWK Sets of trusted issuers: from a URL (fetched, cached, refreshed on an unknown `kid` at most once per
interval) or from a file."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson


class JwksUnavailable(Exception):
    """The issuer's JWK Set could not be read (safe message)."""


class IssuerKeys:
    def __init__(self, source: str, http: httpx.AsyncClient, refresh_seconds: int) -> None:
        self.source = source
        self.is_url = source.startswith(("https://", "http://"))
        self._http = http
        self._refresh_seconds = refresh_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> jwt.PyJWK | None:
        if kid not in self._keys and self._may_refresh():
            async with self._lock:
                if kid not in self._keys and self._may_refresh():
                    await self._load()
        return self._keys.get(kid)

    def _may_refresh(self) -> bool:
        return self._loaded_at is None or time.monotonic() - self._loaded_at >= self._refresh_seconds

    async def _load(self) -> None:
        self._loaded_at = time.monotonic()
        try:
            if self.is_url:
                response = await self._http.get(self.source, timeout=3.0, headers={"Accept": "application/json"})
                response.raise_for_status()
                document: Any = orjson.loads(response.content)
            else:
                document = orjson.loads(Path(self.source).read_bytes())
            keys = {}
            for entry in document.get("keys", []):
                if isinstance(entry, dict) and isinstance(entry.get("kid"), str):
                    try:
                        keys[entry["kid"]] = jwt.PyJWK(entry)
                    except (jwt.PyJWKError, jwt.InvalidKeyError):
                        continue  # an unusable key (e.g. symmetric) never verifies anything
            self._keys = keys
        except (httpx.HTTPError, OSError, orjson.JSONDecodeError, AttributeError):
            raise JwksUnavailable("the issuer's JWK Set could not be read") from None


class JwksCache:
    def __init__(self, issuers: dict[str, str], http: httpx.AsyncClient, refresh_seconds: int) -> None:
        self._issuers = {iss: IssuerKeys(source, http, refresh_seconds) for iss, source in issuers.items()}

    def issuer(self, iss: str) -> IssuerKeys | None:
        return self._issuers.get(iss)
