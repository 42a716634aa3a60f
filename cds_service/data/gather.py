"""Gathering the FHIR data for one hook call: prefetch first, then the CDS client's FHIR server for what
prefetch did not bring ("Providing FHIR Resources to a CDS Service")."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from cds_service.data.bundles import Resource, is_operation_outcome, next_link, resources_of, unique_resources
from cds_service.data.fhir_client import Deadline, FhirReader, FhirReadError, FhirServer, origin_of
from cds_service.data.templates import UnrenderableTemplate, render_template
from cds_service.protocol.errors import PrefetchUnavailable
from cds_service.protocol.request import HookRequest
from cds_service.protocol.services import ServiceDefinition
from cds_service.settings import Settings

_MISSING = object()


@dataclass
class GatheredData:
    patient: Resource | None = None
    resources: list[Resource] = field(default_factory=list)  # every other resource, de-duplicated
    medications: dict[str, Resource] = field(default_factory=dict)
    draft_requests: list[Resource] = field(default_factory=list)
    unavailable: set[str] = field(default_factory=set)
    fetched: list[str] = field(default_factory=list)


class DataGatherer:
    def __init__(self, reader: FhirReader | None, settings: Settings) -> None:
        self._reader = reader
        self._settings = settings

    async def gather(self, request: HookRequest, service: ServiceDefinition) -> GatheredData:
        prefetch: dict[str, Any] = request.prefetch or {}
        provided: dict[str, list[Resource]] = {}
        to_fetch: dict[str, str] = {}  # key -> why it must be fetched
        to_complete: dict[str, Any] = {}  # key -> a prefetched Bundle with a `next` link
        for key in service.prefetch:
            value = prefetch.get(key, _MISSING)
            if value is None:
                provided[key] = []  # the client has no such data: do not ask again
            elif value is _MISSING:
                to_fetch[key] = "was not provided"
            elif not isinstance(value, dict) or is_operation_outcome(value):
                to_fetch[key] = "failed in the client's prefetch"
            elif _holds_another_patient(value, str(request.context["patientId"])):
                to_fetch[key] = "held a different patient than context.patientId"
            else:
                provided[key] = list(resources_of(value))
                if next_link(value) is not None:
                    to_complete[key] = value

        server, why_not = self._server(request)
        wanted = set(to_fetch)
        if server is None:
            # Later pages of a paginated prefetch cannot be read either: the first page is used as it is.
            for key in to_fetch:
                to_fetch[key] += f", and {why_not}"
        else:
            await self._fetch(request, service, server, to_fetch, to_complete, provided)
        data = self._assemble(request, provided, to_fetch, service)
        data.fetched = sorted(wanted - set(to_fetch))
        return data

    def _server(self, request: HookRequest) -> tuple[FhirServer | None, str]:
        if request.fhirServer is None:
            return None, "no fhirServer was given to fetch it"
        if self._reader is None:
            return None, "FHIR reads are disabled"
        settings = self._settings
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        server = FhirServer(request.fhirServer, token)
        if settings.fhir_require_https and not request.fhirServer.startswith("https://"):
            return None, "fhirServer is not https, which this service requires"
        allowed = {origin_of(o) for o in settings.fhir_allowed_origins}
        if allowed and server.origin not in allowed:
            return None, "fhirServer is not on this service's list of allowed FHIR servers"
        if token is None and not settings.fhir_allow_unauthenticated:
            return None, "no fhirAuthorization was given to read fhirServer"
        return server, ""

    async def _fetch(
        self,
        request: HookRequest,
        service: ServiceDefinition,
        server: FhirServer,
        to_fetch: dict[str, str],
        to_complete: dict[str, Any],
        provided: dict[str, list[Resource]],
    ) -> None:
        """Read the missing keys and the later pages concurrently, then any unresolved Medications."""
        assert self._reader is not None  # _server() gives no server without a reader
        reader = self._reader
        deadline = Deadline(self._settings.fhir_fetch_budget_ms / 1000)
        queries: dict[str, str] = {}
        for key in list(to_fetch):
            try:
                queries[key] = render_template(service.prefetch[key], request.context)
            except UnrenderableTemplate:
                to_fetch[key] += ", and its template could not be filled from the context"
        reads = reader.read_many(server, queries, deadline)
        pages = asyncio.gather(
            *(reader.complete(server, bundle, deadline) for bundle in to_complete.values()),
            return_exceptions=True,
        )
        fetched, completed = await asyncio.gather(reads, pages)
        for key, outcome in fetched.items():
            if isinstance(outcome, FhirReadError):
                to_fetch[key] += f", and reading it failed: {outcome}"
            else:
                provided[key] = outcome
                del to_fetch[key]
        for key, pages_read in zip(to_complete, completed, strict=True):
            if isinstance(pages_read, list):
                provided[key] = pages_read
            elif key in service.required_keys:
                to_fetch[key] = f"has further pages that could not be read: {pages_read}"
        await self._resolve_medications(server, provided, deadline)

    async def _resolve_medications(
        self, server: FhirServer, provided: dict[str, list[Resource]], deadline: Deadline
    ) -> None:
        """Read Medications that MedicationRequests reference but no Bundle brought (no `_include`)."""
        assert self._reader is not None
        resources = provided.get("medications", [])
        known = {f"Medication/{r.get('id')}" for r in resources if r.get("resourceType") == "Medication"}
        wanted = {
            ref
            for r in resources
            if r.get("resourceType") == "MedicationRequest"
            and isinstance(reference := r.get("medicationReference"), dict)
            and isinstance(ref := reference.get("reference"), str)
            and ref.startswith("Medication/")
            and ref not in known
        }
        if not wanted or deadline.remaining <= 0:
            return
        found = await self._reader.read_many(server, {ref: ref for ref in sorted(wanted)}, deadline)
        for outcome in found.values():
            if isinstance(outcome, list):
                resources.extend(outcome)

    @staticmethod
    def _assemble(
        request: HookRequest,
        provided: dict[str, list[Resource]],
        failed: dict[str, str],
        service: ServiceDefinition,
    ) -> GatheredData:
        for key in service.required_keys:
            if key in failed:
                raise PrefetchUnavailable(
                    f"Required data '{key}' is unavailable: the prefetch {failed[key]}.",
                    expression=[f"prefetch.{key}"],
                )
        data = GatheredData(unavailable=set(failed))
        patients = [r for r in provided.get("patient", []) if r.get("resourceType") == "Patient"]
        data.patient = patients[0] if patients else None
        context = request.context
        signed = list(resources_of(context.get("results"))) if "results" in context else []
        # Results being signed come first, so they win over an older copy of the same resource.
        data.resources = unique_resources(signed + [r for k in provided for r in provided[k] if k != "patient"])
        everything = data.resources + list(resources_of(context.get("draftOrders")))
        data.medications = {
            f"Medication/{r['id']}": r
            for r in everything
            if r.get("resourceType") == "Medication" and isinstance(r.get("id"), str)
        }
        data.draft_requests = _draft_requests(context)
        return data


def _holds_another_patient(value: dict[str, Any], patient_id: str) -> bool:
    """A Patient resource for someone else must never stand in for this patient (wrong age, wrong thresholds)."""
    return any(
        r.get("resourceType") == "Patient" and isinstance(r.get("id"), str) and r["id"] != patient_id
        for r in resources_of(value)
    )


def _draft_requests(context: dict[str, Any]) -> list[Resource]:
    drafts = [r for r in resources_of(context.get("draftOrders")) if r.get("resourceType") == "MedicationRequest"]
    selections = context.get("selections")
    if isinstance(selections, list):  # order-select: the newly selected orders are the ones to check
        wanted = set(selections)
        drafts = [r for r in drafts if f"MedicationRequest/{r.get('id')}" in wanted]
    return drafts
