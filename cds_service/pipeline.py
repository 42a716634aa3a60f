"""One hook call, end to end: gather data -> read it -> assess -> render cards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cards.builder import CardContext, IssuedCard, render_cards
from cards.catalogue import Catalogue
from cds_service.clinical.engine import OPTIONAL_DATA, assess
from cds_service.clinical.knowledge import KnowledgeBase
from cds_service.clinical.model import PatientRecord
from cds_service.clinical.reading import read_medications, read_observations, read_patient
from cds_service.data.gather import DataGatherer, GatheredData
from cds_service.protocol.request import HookRequest
from cds_service.protocol.services import ServiceDefinition

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class HookOutcome:
    response: dict[str, Any]
    cards: tuple[IssuedCard, ...]
    dropped_resources: int
    fetched_keys: tuple[str, ...]


class HookPipeline:
    def __init__(
        self, kb: KnowledgeBase, catalogue: Catalogue, gatherer: DataGatherer, base_url: str, clock: Clock
    ) -> None:
        self._kb = kb
        self._catalogue = catalogue
        self._gatherer = gatherer
        self._base_url = base_url
        self._clock = clock

    async def run(self, request: HookRequest, service: ServiceDefinition) -> HookOutcome:
        now = self._clock()
        data = await self._gatherer.gather(request, service)
        patient_id = str(request.context["patientId"])
        record = build_record(data, patient_id, self._kb, now)
        assessment = assess(record, self._kb, now)
        ctx = CardContext(hook=service.hook.name, patient_id=patient_id, base_url=self._base_url)
        cards = render_cards(assessment, ctx, self._catalogue, self._kb)
        return HookOutcome(
            response={"cards": [c.card for c in cards]},
            cards=tuple(cards),
            dropped_resources=record.dropped_resources,
            fetched_keys=tuple(data.fetched),
        )


def build_record(data: GatheredData, patient_id: str, kb: KnowledgeBase, now: datetime) -> PatientRecord:
    labs, bad_labs = read_observations(data.resources, patient_id, kb, now)
    active, bad_active = read_medications(data.resources, data.medications, patient_id)
    drafts, bad_drafts = read_medications(data.draft_requests, data.medications, patient_id, draft=True)
    return PatientRecord(
        patient=read_patient(data.patient, now.date()),
        labs=tuple(labs),
        medications=tuple(active + drafts),
        unavailable=OPTIONAL_DATA & data.unavailable,
        dropped_resources=bad_labs + bad_active + bad_drafts,
    )
