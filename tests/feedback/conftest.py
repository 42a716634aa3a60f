"""Databases for the feedback tests: an SQLite file, and a real PostgreSQL server started on loopback by the
suite (the pgserver package ships the PostgreSQL binaries, so only pip is needed)."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    import pgserver

    directory = tempfile.mkdtemp(prefix="leuko-pg-")
    server = pgserver.get_server(directory, cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()


def _postgres_url(server: Any) -> str:
    name = f"feedback_{next(_counter)}"
    server.psql(f"CREATE DATABASE {name};")
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/path/to/socket
    base, _, query = uri.partition("?")
    return base.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0] + f"/{name}?{query}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'feedback.db'}"
    return _postgres_url(request.getfixturevalue("postgres_server"))
