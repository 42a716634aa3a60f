"""Trusting CDS clients: the JWT matrix of the standard's "Trusting CDS Clients", through the real app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from cds_service.settings import Settings
from tests.auth.keys import BASE_URL, ISSUER, JwksServer, SigningKey, claims, hs256_with_public_key, sign, unsigned
from tests.conftest import AppClient, AppClientFactory, load_fixture

DISCOVERY = f"{BASE_URL}/cds-services"
SERVICE = f"{BASE_URL}/cds-services/leukopenia-patient-view"
FILE_ISSUER = "https://file-issuer.example.org"

EC = SigningKey("ec-1", "ES384")
RSA = SigningKey("rsa-1", "RS384")


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer([EC.public_jwk, RSA.public_jwk])
    with server.running():
        yield server


@pytest.fixture
def auth_settings(jwks_server: JwksServer, tmp_path: Path) -> Settings:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps({"keys": [EC.public_jwk]}))
    return Settings(
        auth="required",
        public_base_url=BASE_URL,
        trusted_issuers={ISSUER: jwks_server.url, FILE_ISSUER: str(jwks_file)},
    )


@pytest.fixture
async def secured(make_client: AppClientFactory, auth_settings: Settings) -> AsyncIterator[AppClient]:
    async with make_client(auth_settings) as client:
        yield client


async def discover(client: httpx.AsyncClient, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.get("/cds-services", headers=headers)


def problem(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "security"
    return str(body["issue"][0]["details"]["text"])


@pytest.mark.parametrize("key", [EC, RSA], ids=["ES384", "RS384"])
async def test_valid_tokens_pass(secured: AppClient, key: SigningKey) -> None:
    assert (await discover(secured, sign(key, claims(DISCOVERY)))).status_code == 200


async def test_audience_may_be_an_array_and_must_be_the_url_called(secured: AppClient) -> None:
    body = load_fixture("patient-view-normal")
    token = sign(EC, claims([SERVICE, "https://other.example.org"]))
    ok = await secured.post(
        "/cds-services/leukopenia-patient-view", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert ok.status_code == 200
    reused_for_discovery = sign(EC, claims(SERVICE))
    assert "aud" in problem(await discover(secured, reused_for_discovery))


def now_plus(seconds: int) -> int:
    import time

    return int(time.time()) + seconds


BAD_TOKENS: dict[str, tuple[Callable[[], str], str]] = {
    "expired": (lambda: sign(EC, claims(DISCOVERY, iat=now_plus(-400), exp=now_plus(-100))), "expired"),
    "iat in the future": (lambda: sign(EC, claims(DISCOVERY, iat=now_plus(600), exp=now_plus(800))), "future"),
    "lifetime over 5 minutes": (lambda: sign(EC, claims(DISCOVERY, exp=now_plus(3600))), "lifetime"),
    "wrong aud": (lambda: sign(EC, claims("https://cds.example.org/cds-services/other")), "aud"),
    "untrusted iss": (lambda: sign(EC, claims(DISCOVERY, iss="https://evil.example.org")), "iss"),
    "jku not the configured one": (lambda: sign(EC, claims(DISCOVERY), jku="https://evil.example.org/jwks"), "jku"),
    "unknown kid": (lambda: sign(SigningKey("nobody", "ES384"), claims(DISCOVERY)), "kid"),
    "alg none": (lambda: unsigned(EC, claims(DISCOVERY)), "alg"),
    "HS256 signed with the public key": (lambda: hs256_with_public_key(EC, claims(DISCOVERY)), "alg"),
    "tampered payload": (lambda: _tampered(), "signature"),
    "missing jti": (lambda: sign(EC, claims(DISCOVERY, jti=None)), "jti"),
    "missing kid": (lambda: sign(EC, claims(DISCOVERY), kid=None), "kid"),
    "typ not JWT": (lambda: sign(EC, claims(DISCOVERY), typ="at+jwt"), "typ"),
    "signed by another issuer's key": (lambda: sign(EC, claims(DISCOVERY, iss=FILE_ISSUER), kid="rsa-1"), "kid"),
    "not a JWT": (lambda: "not-a-jwt", "well-formed"),
}


def _tampered() -> str:
    import base64

    head, body, signature = sign(EC, claims(DISCOVERY)).split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["tenant"] = "hospital-b"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_tokens_get_401_naming_the_check(secured: AppClient, case: str) -> None:
    make, check = BAD_TOKENS[case]
    text = problem(await discover(secured, make()))
    assert check in text
    assert "BEGIN" not in text and "d=" not in text  # no key material in the answer


async def test_missing_or_non_bearer_authorization_is_401(secured: AppClient) -> None:
    assert "Bearer" in problem(await discover(secured, None))
    response = await secured.get("/cds-services", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert "Bearer" in problem(response)


async def test_a_replayed_jti_is_refused(secured: AppClient) -> None:
    token = sign(EC, claims(DISCOVERY))
    assert (await discover(secured, token)).status_code == 200
    assert "replay" in problem(await discover(secured, token))


async def test_issuer_keys_from_a_file(secured: AppClient) -> None:
    assert (await discover(secured, sign(EC, claims(DISCOVERY, iss=FILE_ISSUER)))).status_code == 200


async def test_every_endpoint_requires_the_token(secured: AppClient) -> None:
    body = load_fixture("patient-view-normal")
    assert problem(await secured.post("/cds-services/leukopenia-patient-view", json=body))
    feedback = {"feedback": [{"card": "x", "outcome": "overridden", "outcomeTimestamp": "2026-11-20T10:00:00Z"}]}
    assert problem(await secured.post("/cds-services/leukopenia-patient-view/feedback", json=feedback))
    assert problem(await secured.get("/admin/feedback-report"))
    token = sign(EC, claims(f"{BASE_URL}/cds-services/leukopenia-patient-view/feedback"))
    ok = await secured.post(
        "/cds-services/leukopenia-patient-view/feedback", json=feedback, headers={"Authorization": f"Bearer {token}"}
    )
    assert ok.status_code == 200


async def test_an_unknown_kid_refreshes_the_jwk_set_at_most_once_a_minute(
    make_client: AppClientFactory, auth_settings: Settings, jwks_server: JwksServer
) -> None:
    rotated = SigningKey("ec-2", "ES384")
    async with make_client(auth_settings) as client:
        assert (await discover(client, sign(EC, claims(DISCOVERY)))).status_code == 200
        fetches = jwks_server.fetches
        jwks_server.keys = [EC.public_jwk, RSA.public_jwk, rotated.public_jwk]
        try:
            # Loaded less than a minute ago: the unknown kid does not trigger a fetch yet.
            assert "kid" in problem(await discover(client, sign(rotated, claims(DISCOVERY))))
            assert jwks_server.fetches == fetches
        finally:
            jwks_server.keys = [EC.public_jwk, RSA.public_jwk]
    fast = auth_settings.model_copy(update={"jwks_refresh_seconds": 1})
    async with make_client(fast) as client:
        assert (await discover(client, sign(EC, claims(DISCOVERY)))).status_code == 200
        jwks_server.keys = [EC.public_jwk, RSA.public_jwk, rotated.public_jwk]
        try:
            import asyncio

            await asyncio.sleep(1.1)
            assert (await discover(client, sign(rotated, claims(DISCOVERY)))).status_code == 200
        finally:
            jwks_server.keys = [EC.public_jwk, RSA.public_jwk]


async def test_the_tenant_claim_is_kept_in_the_log(secured: AppClient, caplog: pytest.LogCaptureFixture) -> None:
    token = sign(EC, claims(SERVICE))
    body = load_fixture("patient-view-normal")
    response = await secured.post(
        "/cds-services/leukopenia-patient-view", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    record = next(r for r in caplog.records if r.getMessage() == "hook call")
    assert getattr(record, "tenant", None) == "hospital-a"
    assert token not in caplog.text
