"""Durable storage of issued cards and feedback through SQLAlchemy 2 (async): SQLite in WAL mode by default,
PostgreSQL for several instances. The schema is created or migrated on first use. No PHI is stored: cards are
kept as uuid, kind, indicator, service and knowledge-base version; free-text override comments are dropped."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from cds_service.feedback.models import FeedbackItem

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, primary_key=True))

issued_cards = Table(
    "issued_cards",
    metadata,
    Column("uuid", String(64), primary_key=True),
    Column("service_id", String(128), nullable=False),
    Column("kind", String(64), nullable=False, index=True),
    Column("indicator", String(16), nullable=False),
    Column("knowledge_version", String(64), nullable=False),
    Column("tenant", String(256)),
    Column("issued_at", DateTime(timezone=True), nullable=False),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(64), nullable=False, unique=True),
    Column("card_uuid", String(256), nullable=False, index=True),
    Column("service_id", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("accepted_suggestions", Text),
    Column("override_system", String(512)),
    Column("override_code", String(256)),
    Column("outcome_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("tenant", String(256)),
    Column("matched", Boolean, nullable=False),
)

# Ordered migrations: (version, statements run after the tables of that version exist). Version 1 is the
# schema above; later versions append ALTERs here and bump SCHEMA_VERSION.
SCHEMA_VERSION = 1
MIGRATIONS: list[tuple[int, list[str]]] = [(1, [])]


@dataclass(frozen=True)
class IssuedCardRecord:
    uuid: str
    kind: str
    indicator: str


@dataclass(frozen=True)
class StoreResult:
    stored: int
    duplicates: int
    unmatched: int


@dataclass(frozen=True)
class KindReport:
    kind: str
    issued: int
    accepted: int
    overridden: int

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.issued if self.issued else 0.0

    @property
    def override_rate(self) -> float:
        return self.overridden / self.issued if self.issued else 0.0


@dataclass(frozen=True)
class ReasonReport:
    kind: str
    system: str | None
    code: str | None
    count: int


@dataclass(frozen=True)
class FeedbackReport:
    kinds: tuple[KindReport, ...]
    override_reasons: tuple[ReasonReport, ...]
    unmatched_feedback: int

    def as_json(self) -> dict[str, Any]:
        return {
            "cardKinds": [
                {
                    "kind": k.kind,
                    "issued": k.issued,
                    "accepted": k.accepted,
                    "overridden": k.overridden,
                    "acceptanceRate": round(k.acceptance_rate, 4),
                    "overrideRate": round(k.override_rate, 4),
                }
                for k in self.kinds
            ],
            "overrideReasons": [
                {"kind": r.kind, "system": r.system, "code": r.code, "count": r.count} for r in self.override_reasons
            ],
            "unmatchedFeedback": self.unmatched_feedback,
        }


def _enable_sqlite_wal(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers and a writer work at once; busy_timeout makes concurrent writers wait, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class FeedbackStore:
    def __init__(self, database_url: str) -> None:
        self.engine: AsyncEngine = create_async_engine(database_url, pool_pre_ping=True)
        self._dialect = self.engine.dialect.name
        if self._dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _enable_sqlite_wal)
        self._ready = False
        self._lock = asyncio.Lock()

    async def migrate(self) -> None:
        if self._ready:
            return
        async with self._lock:
            if self._ready:
                return
            async with self.engine.begin() as connection:
                if self._dialect == "postgresql":
                    # Several instances may start at once: one migrates, the others wait.
                    await connection.execute(text("SELECT pg_advisory_xact_lock(7261534)"))
                await connection.run_sync(metadata.create_all)
                current = (await connection.execute(select(func.max(schema_version.c.version)))).scalar() or 0
                for version, statements in MIGRATIONS:
                    if version > current:
                        for statement in statements:
                            await connection.execute(text(statement))
                        await connection.execute(schema_version.insert().values(version=version))
            self._ready = True

    def _insert(self, table: Table) -> Any:
        if self._dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        if self._dialect == "sqlite":
            return sqlite.insert(table).on_conflict_do_nothing()
        raise RuntimeError(f"unsupported database dialect {self._dialect}")

    async def record_issued(
        self, service_id: str, cards: Sequence[IssuedCardRecord], knowledge_version: str, tenant: str | None
    ) -> None:
        if not cards:
            return
        await self.migrate()
        now = datetime.now(UTC)
        rows = [
            {
                "uuid": c.uuid,
                "service_id": service_id,
                "kind": c.kind,
                "indicator": c.indicator,
                "knowledge_version": knowledge_version,
                "tenant": tenant,
                "issued_at": now,
            }
            for c in cards
        ]
        async with self.engine.begin() as connection:
            await connection.execute(self._insert(issued_cards), rows)

    async def store_feedback(self, service_id: str, items: Sequence[FeedbackItem], tenant: str | None) -> StoreResult:
        await self.migrate()
        now = datetime.now(UTC)
        stored = duplicates = unmatched = 0
        async with self.engine.begin() as connection:
            known = await self._issued_for(connection, service_id, {item.card for item in items})
            for item in items:
                matched = item.card in known
                reason = item.overrideReason.reason if item.overrideReason else None
                suggestions = sorted(s.id for s in item.acceptedSuggestions or [])
                row = {
                    "dedupe_key": _dedupe_key(service_id, item, suggestions),
                    "card_uuid": item.card,
                    "service_id": service_id,
                    "outcome": item.outcome,
                    "accepted_suggestions": json.dumps(suggestions) if suggestions else None,
                    "override_system": reason.system if reason else None,
                    "override_code": reason.code if reason else None,
                    "outcome_at": item.outcome_time,
                    "received_at": now,
                    "tenant": tenant,
                    "matched": matched,
                }
                result = await connection.execute(self._insert(feedback), [row])
                if result.rowcount:
                    stored += 1
                    unmatched += 0 if matched else 1
                else:
                    duplicates += 1
        return StoreResult(stored, duplicates, unmatched)

    @staticmethod
    async def _issued_for(connection: AsyncConnection, service_id: str, uuids: set[str]) -> set[str]:
        query = select(issued_cards.c.uuid).where(
            issued_cards.c.uuid.in_(uuids), issued_cards.c.service_id == service_id
        )
        return {row[0] for row in await connection.execute(query)}

    async def report(self) -> FeedbackReport:
        await self.migrate()
        async with self.engine.connect() as connection:
            issued = {
                kind: count
                for kind, count in await connection.execute(
                    select(issued_cards.c.kind, func.count()).group_by(issued_cards.c.kind)
                )
            }
            joined = feedback.join(issued_cards, feedback.c.card_uuid == issued_cards.c.uuid)
            outcomes: dict[tuple[str, str], int] = {
                (kind, outcome): count
                for kind, outcome, count in await connection.execute(
                    select(issued_cards.c.kind, feedback.c.outcome, func.count(func.distinct(feedback.c.card_uuid)))
                    .select_from(joined)
                    .group_by(issued_cards.c.kind, feedback.c.outcome)
                )
            }
            reasons = [
                ReasonReport(kind, system, code, count)
                for kind, system, code, count in await connection.execute(
                    select(issued_cards.c.kind, feedback.c.override_system, feedback.c.override_code, func.count())
                    .select_from(joined)
                    .where(feedback.c.outcome == "overridden")
                    .group_by(issued_cards.c.kind, feedback.c.override_system, feedback.c.override_code)
                    .order_by(issued_cards.c.kind, func.count().desc())
                )
            ]
            unmatched = (
                await connection.execute(
                    select(func.count()).select_from(feedback).where(feedback.c.matched.is_(False))
                )
            ).scalar() or 0
        kinds = tuple(
            KindReport(kind, count, outcomes.get((kind, "accepted"), 0), outcomes.get((kind, "overridden"), 0))
            for kind, count in sorted(issued.items())
        )
        return FeedbackReport(kinds, tuple(reasons), int(unmatched))

    async def count_feedback(self) -> int:
        await self.migrate()
        async with self.engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(feedback))).scalar() or 0)

    async def close(self) -> None:
        await self.engine.dispose()


def _dedupe_key(service_id: str, item: FeedbackItem, suggestions: list[str]) -> str:
    reason = item.overrideReason.reason if item.overrideReason else None
    canonical = json.dumps(
        [
            service_id,
            item.card,
            item.outcome,
            suggestions,
            reason.system if reason else None,
            reason.code if reason else None,
            item.outcome_time.isoformat(),
        ]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
