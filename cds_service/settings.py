"""Every setting of the service, typed and read from ``LEUKO_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Service configuration. Each field is documented in ``docs/settings.md`` and the README."""

    model_config = SettingsConfigDict(env_prefix="LEUKO_", extra="ignore")

    public_base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("http://127.0.0.1:8000"),
        description="Externally visible base URL (scheme, host, optional path prefix); "
        "used for absolute icon URLs and, with JWT auth, the expected `aud`.",
    )
    max_body_bytes: int = Field(default=16 * 1024 * 1024, gt=0, description="Largest accepted request body, in bytes.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"],
        description="Comma-separated origins allowed by CORS; `*` allows any origin.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO")
    fhir_fetch_budget_ms: int = Field(
        default=350, gt=0, description="Time budget for all FHIR reads of one hook call, in milliseconds."
    )
    fhir_request_timeout_ms: int = Field(
        default=250, gt=0, description="Timeout of a single FHIR request, in milliseconds."
    )
    fhir_max_pages: int = Field(
        default=5, ge=1, description="How many Bundle pages (`next` links) to follow per query."
    )
    fhir_allow_unauthenticated: bool = Field(
        default=False,
        description="Read from `fhirServer` without `fhirAuthorization` (open sandbox servers).",
    )
    fhir_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated FHIR server origins the service may call; empty allows any.",
    )
    fhir_require_https: bool = Field(default=False, description="Refuse `fhirServer` URLs that are not https.")

    auth: Literal["required", "off"] = Field(
        default="required",
        description="`required`: every call carries a CDS client JWT; `off`: no authentication (local use only).",
    )
    trusted_issuers: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object mapping each trusted `iss` to its JWK Set: an https URL or a file path.",
    )
    jwt_clock_skew_seconds: int = Field(default=30, ge=0, le=300, description="Clock skew allowed for exp/iat.")
    jwt_max_lifetime_seconds: int = Field(
        default=300, gt=0, description="Longest accepted token lifetime (exp - iat); CDS Hooks expects at most 5 min."
    )
    jwks_refresh_seconds: int = Field(
        default=60, ge=1, description="At most one JWK Set refresh per issuer in this many seconds (unknown kid)."
    )
    replay_cache: Literal["memory", "redis"] = Field(
        default="memory", description="Where seen `jti` values are kept: in process, or Redis for several instances."
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", description="Redis for the replay cache.")
    database_url: str = Field(
        default="sqlite+aiosqlite:///leukopenia-cds.db",
        description="SQLAlchemy async URL for issued cards and feedback; PostgreSQL: postgresql+asyncpg://...",
    )

    @field_validator("cors_origins", "fhir_allowed_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def base_url(self) -> str:
        """The public base URL without a trailing slash."""
        return str(self.public_base_url).rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
