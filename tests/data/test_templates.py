from __future__ import annotations

import pytest

from cds_service.data.templates import UnrenderableTemplate, render_template

CONTEXT = {
    "userId": "PractitionerRole/role-7",
    "patientId": "pt 1",
    "draftOrders": {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "MedicationRequest", "id": "mr-1"}},
            {"resource": {"resourceType": "ServiceRequest", "id": "sr-1"}},
            {"resource": {"resourceType": "MedicationRequest", "id": "mr-2"}},
        ],
    },
}


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ("Patient/{{context.patientId}}", "Patient/pt%201"),
        ("Observation?patient=Patient/{{ context.patientId }}&_count=5", "Observation?patient=Patient/pt%201&_count=5"),
        ("PractitionerRole?_id={{userPractitionerRoleId}}", "PractitionerRole?_id=role-7"),
        ("MedicationRequest?_id={{context.draftOrders.MedicationRequest.id}}", "MedicationRequest?_id=mr-1,mr-2"),
    ],
)
def test_prefetch_tokens_are_filled_from_the_context(template: str, rendered: str) -> None:
    assert render_template(template, CONTEXT) == rendered


@pytest.mark.parametrize(
    "template", ["Practitioner/{{userPractitionerId}}", "Encounter/{{context.encounterId}}", "X?{{today()}}"]
)
def test_a_token_without_a_value_cannot_be_rendered(template: str) -> None:
    with pytest.raises(UnrenderableTemplate):
        render_template(template, CONTEXT)
