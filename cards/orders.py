"""FHIR resources the cards suggest, built and validated with ``fhir.resources`` (R4B models)."""

from __future__ import annotations

import uuid
from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest

from cds_service.clinical.knowledge import LOINC, Orderable


def lab_order(orderable: Orderable, patient_id: str, reason_text: str, reason_refs: list[str]) -> dict[str, Any]:
    """A draft ServiceRequest for a LOINC-coded test; the clinician accepts it, nothing is ordered for them."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(uuid.uuid4()),
        "status": "draft",
        "intent": "order",
        "code": {
            "coding": [{"system": LOINC, "code": orderable.code, "display": orderable.display}],
            "text": orderable.display,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "reasonCode": [{"text": reason_text}],
    }
    if reason_refs:
        resource["reasonReference"] = [{"reference": ref} for ref in reason_refs]
    return ServiceRequest.model_validate(resource).model_dump(mode="json", exclude_none=True)
