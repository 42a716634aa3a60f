"""Verifying a CDS client's JWT: asymmetric signature by a trusted issuer's key, audience equal to the URL
called, a short lifetime, and a `jti` never seen before. Each failure names the check, never key material."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from cds_service.auth.jwks import JwksCache, JwksUnavailable
from cds_service.auth.replay import ReplayCache
from cds_service.protocol.errors import Unauthorized

# RFC 7518 asymmetric algorithms; `none` and every HMAC (HS*) are refused (CDS Hooks "JWT Signing Algorithm").
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@dataclass(frozen=True)
class ClientIdentity:
    issuer: str
    tenant: str | None
    subject: str | None


class ClientAuthenticator:
    def __init__(self, jwks: JwksCache, replay: ReplayCache, *, clock_skew: int, max_lifetime: int) -> None:
        self._jwks = jwks
        self._replay = replay
        self._skew = clock_skew
        self._max_lifetime = max_lifetime

    async def authenticate(self, authorization: str | None, audience: str) -> ClientIdentity:
        token = _bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.DecodeError:
            raise Unauthorized("The bearer token is not a well-formed JWT.") from None
        alg = header.get("alg")
        if alg not in ASYMMETRIC_ALGORITHMS:
            raise Unauthorized("JWT 'alg' must be an asymmetric signature algorithm (e.g. ES384, RS384).")
        if str(header.get("typ", "")).upper() != "JWT":
            raise Unauthorized("JWT header 'typ' must be 'JWT'.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("JWT header 'kid' is required.")
        iss = unverified.get("iss")
        issuer = self._jwks.issuer(iss) if isinstance(iss, str) else None
        if issuer is None or not isinstance(iss, str):
            raise Unauthorized("JWT 'iss' is not a trusted issuer.")
        jku = header.get("jku")
        if jku is not None and (not issuer.is_url or jku != issuer.source):
            raise Unauthorized("JWT 'jku' is not the JWK Set URL configured for this issuer.")
        try:
            key = await issuer.key(kid)
        except JwksUnavailable:
            raise Unauthorized("The issuer's JWK Set could not be read to verify the JWT.") from None
        if key is None:
            raise Unauthorized("JWT 'kid' is not in the issuer's JWK Set.")
        claims = self._verified_claims(token, key, str(alg), audience, iss)
        await self._check_replay(claims)
        tenant, subject = claims.get("tenant"), claims.get("sub")
        return ClientIdentity(
            issuer=str(iss),
            tenant=tenant if isinstance(tenant, str) else None,
            subject=subject if isinstance(subject, str) else None,
        )

    def _verified_claims(self, token: str, key: jwt.PyJWK, alg: str, audience: str, iss: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=audience,
                issuer=iss,
                leeway=self._skew,
                options={"require": ["exp", "iat", "iss", "aud", "jti"], "strict_aud": False},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"JWT claim '{exc.claim}' is required.") from None
        except jwt.ExpiredSignatureError:
            raise Unauthorized("JWT has expired ('exp').") from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized("JWT 'iat' or 'nbf' is in the future.") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized(f"JWT 'aud' must be the URL called: {audience}") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized("JWT 'iss' does not match.") from None
        except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError, jwt.InvalidKeyError):
            raise Unauthorized("JWT signature does not verify with the issuer's key.") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("JWT is invalid.") from None
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            raise Unauthorized("JWT 'iat' and 'exp' must be numbers.")
        if iat > time.time() + self._skew:
            raise Unauthorized("JWT 'iat' is in the future.")
        if exp - iat > self._max_lifetime:
            raise Unauthorized(f"JWT lifetime (exp - iat) exceeds {self._max_lifetime} seconds.")
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise Unauthorized("JWT claim 'jti' must be a non-empty string.")
        return claims

    async def _check_replay(self, claims: dict[str, Any]) -> None:
        ttl = int(claims["exp"] - time.time()) + self._skew
        if not await self._replay.first_use(f"{claims['iss']}|{claims['jti']}", ttl):
            raise Unauthorized("JWT 'jti' has been used before (replay).")


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("Authorization: Bearer <JWT> is required.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must use the Bearer scheme with a JWT.")
    return token.strip()
