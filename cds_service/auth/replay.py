"""Seen `jti` values, so a token is accepted once: in process, or in Redis when several instances run."""

from __future__ import annotations

import time
from typing import Protocol

from cds_service.protocol.errors import ServiceUnavailable


class ReplayCache(Protocol):
    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        """Record the key; True the first time it is seen within its lifetime, False on a replay."""
        ...

    async def close(self) -> None: ...


class MemoryReplayCache:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._expiry: dict[str, float] = {}
        self._max_entries = max_entries

    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        now = time.monotonic()
        if len(self._expiry) >= self._max_entries:
            self._expiry = {k: t for k, t in self._expiry.items() if t > now}
        expires = self._expiry.get(key)
        if expires is not None and expires > now:
            return False
        self._expiry[key] = now + max(ttl_seconds, 1)
        return True

    async def close(self) -> None:
        self._expiry.clear()


class RedisReplayCache:
    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)

    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        from redis.exceptions import RedisError

        try:
            # SET NX EX is atomic across instances: only the first caller creates the key.
            created = await self._redis.set(f"leukopenia-cds:jti:{key}", b"1", nx=True, ex=max(ttl_seconds, 1))
        except RedisError:
            # Without the shared cache a replay cannot be ruled out: refuse (fail closed) rather than guess.
            raise ServiceUnavailable("The token replay cache is unavailable; try again shortly.") from None
        return bool(created)

    async def close(self) -> None:
        await self._redis.aclose()
