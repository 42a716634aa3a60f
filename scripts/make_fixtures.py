"""Write fixtures/*.json: realistic CDS Hooks requests (FHIR R4) for every hook and clinical situation.

Dates are fixed around 2026-11-20 so results are reproducible; tests evaluate them with the clock pinned to
fixtures/README.md's reference time. Codes: LOINC and UCUM from labs.toml/units.toml, RxNorm product codes
from the CDS Hooks Sandbox list (sandbox-rxnorm-products.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "fixtures"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
FHIR_SERVER = "http://127.0.0.1:8080/fhir"

LAB = {
    "wbc": ("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", (4.0, 11.0)),
    "anc": ("751-8", "Neutrophils [#/volume] in Blood by Automated count", "10*3/uL", (1.8, 7.7)),
    "neut": ("770-8", "Neutrophils/100 leukocytes in Blood by Automated count", "%", (40, 75)),
    "band": ("764-1", "Band form neutrophils/100 leukocytes in Blood by Manual count", "%", (0, 5)),
    "temp": ("8310-5", "Body temperature", "Cel", None),
    "b12": ("2132-9", "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma", "pg/mL", (232, 1245)),
    "folate": ("2284-8", "Folate [Mass/volume] in Serum or Plasma", "ng/mL", (5.9, 24.8)),
    "copper": ("5631-5", "Copper [Mass/volume] in Serum or Plasma", "ug/dL", (70, 140)),
}
HEMATOLOGY = {"wbc", "anc", "neut", "band"}


def patient(pid: str, birth: str, gender: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": f"MRN-{pid}"}],
        "name": [{"family": "Example", "given": ["Test"]}],
        "gender": gender,
        "birthDate": birth,
    }


def obs(
    pid: str,
    oid: str,
    kind: str,
    value: float,
    when: str,
    *,
    unit: str | None = None,
    ucum: bool = True,
    reference_range: bool = True,
    status: str = "final",
) -> dict[str, Any]:
    code, display, default_unit, ref = LAB[kind]
    unit = unit or default_unit
    category = "vital-signs" if kind == "temp" else "laboratory"
    quantity: dict[str, Any] = {"value": value, "unit": unit}
    if ucum:
        quantity |= {"system": UCUM, "code": unit}
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": status,
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": category}]}
        ],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": when,
        "issued": when,
        "valueQuantity": quantity,
    }
    if ref and reference_range and unit == default_unit:
        low, high = ref
        resource["referenceRange"] = [
            {
                "low": {"value": low, "unit": unit, "system": UCUM, "code": unit},
                "high": {"value": high, "unit": unit, "system": UCUM, "code": unit},
            }
        ]
    return resource


def med_request(
    pid: str,
    mid: str,
    rxcui: str,
    name: str,
    *,
    status: str = "active",
    authored: str = "2026-09-01",
    start: str | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxcui, "display": name}], "text": name},
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": authored,
        "requester": {"reference": "Practitioner/prac-1", "display": "Dr. Jane Smith"},
    }
    if start:
        resource["dosageInstruction"] = [
            {"text": "as directed", "timing": {"repeat": {"boundsPeriod": {"start": start}}}}
        ]
    return resource


def searchset(resources: list[dict[str, Any]], base: str = FHIR_SERVER) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ],
    }


def request(
    hook: str,
    instance: str,
    pid: str,
    birth: str,
    gender: str,
    observations: list[dict[str, Any]],
    meds: list[dict[str, Any]],
    context_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    hematology = [o for o in observations if _kind(o) in HEMATOLOGY]
    temperature = [o for o in observations if _kind(o) == "temp"]
    deficiency = [o for o in observations if _kind(o) not in HEMATOLOGY | {"temp"}]
    by_date = lambda rs: sorted(rs, key=lambda r: r["effectiveDateTime"], reverse=True)  # noqa: E731
    return {
        "hookInstance": instance,
        "fhirServer": FHIR_SERVER,
        "hook": hook,
        "context": {
            "userId": "Practitioner/prac-1",
            "patientId": pid,
            "encounterId": f"enc-{pid}",
            **(context_extra or {}),
        },
        "prefetch": {
            "patient": patient(pid, birth, gender),
            "hematology": searchset(by_date(hematology)),
            "temperature": searchset(by_date(temperature)),
            "deficiency-labs": searchset(by_date(deficiency)),
            "medications": searchset(meds),
        },
    }


def _kind(o: dict[str, Any]) -> str:
    code = o["code"]["coding"][0]["code"]
    return next(k for k, v in LAB.items() if v[0] == code)


def draft_bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def fixtures() -> dict[str, dict[str, Any]]:
    f: dict[str, dict[str, Any]] = {}
    p = "pt-normal"
    f["patient-view-normal"] = request(
        "patient-view",
        "3b6a1f0e-6b1e-4a51-9f3e-0c2b9a7d1a01",
        p,
        "1972-03-14",
        "female",
        [
            obs(p, "n-wbc-1", "wbc", 6.8, "2026-11-18T08:10:00Z"),
            obs(p, "n-anc-1", "anc", 4.1, "2026-11-18T08:10:00Z"),
            obs(p, "n-wbc-0", "wbc", 7.2, "2026-08-02T09:00:00Z"),
            obs(p, "n-b12", "b12", 480, "2026-05-11T09:00:00Z"),
        ],
        [med_request(p, "n-med-1", "314076", "lisinopril 10 MG Oral Tablet")],
    )

    p = "pt-mild"
    f["patient-view-mild-leukopenia"] = request(
        "patient-view",
        "1c0f9b6e-2d0a-4d8e-8f5e-5b1f0a3c2b02",
        p,
        "1985-07-02",
        "male",
        [
            obs(p, "m-wbc-2", "wbc", 3.4, "2026-11-19T07:45:00Z"),
            obs(p, "m-anc-2", "anc", 1.9, "2026-11-19T07:45:00Z"),
            obs(p, "m-wbc-1", "wbc", 5.9, "2026-09-03T08:30:00Z"),
        ],
        [],
    )

    p = "pt-severe"
    f["patient-view-severe-leukopenia"] = request(
        "patient-view",
        "7f3d2c1b-0a9e-4b8c-9d7e-6f5a4b3c2d03",
        p,
        "1958-01-22",
        "female",
        [
            # Lab sends K/uL (not UCUM) and only a differential: the ANC must be computed.
            obs(p, "s-wbc-3", "wbc", 1.8, "2026-11-19T06:30:00Z", unit="K/uL", ucum=False),
            obs(p, "s-neut-3", "neut", 22, "2026-11-19T06:30:00Z"),
            obs(p, "s-band-3", "band", 3, "2026-11-19T06:30:00Z"),
            obs(p, "s-wbc-2", "wbc", 2.2, "2026-11-05T07:00:00Z", unit="K/uL", ucum=False),
            obs(p, "s-wbc-1", "wbc", 2.6, "2026-10-21T07:15:00Z", unit="K/uL", ucum=False),
            obs(p, "s-b12", "b12", 512, "2026-10-21T07:15:00Z"),
            obs(p, "s-folate", "folate", 11.2, "2026-10-21T07:15:00Z"),
            obs(p, "s-copper", "copper", 96, "2026-10-21T07:15:00Z"),
        ],
        [med_request(p, "s-med-1", "197361", "amlodipine 5 MG Oral Tablet")],
    )

    p = "pt-clozapine"
    f["patient-view-clozapine"] = request(
        "patient-view",
        "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c04",
        p,
        "1990-11-30",
        "male",
        [
            obs(p, "c-wbc-2", "wbc", 3.3, "2026-11-17T10:00:00Z"),
            obs(p, "c-anc-2", "anc", 1.2, "2026-11-17T10:00:00Z"),
            obs(p, "c-wbc-1", "wbc", 6.1, "2026-08-15T10:00:00Z"),
            obs(p, "c-anc-1", "anc", 3.4, "2026-08-15T10:00:00Z"),
            obs(p, "c-b12", "b12", 402, "2026-08-15T10:00:00Z"),
            obs(p, "c-folate", "folate", 9.8, "2026-08-15T10:00:00Z"),
            obs(p, "c-copper", "copper", 101, "2026-08-15T10:00:00Z"),
        ],
        [
            med_request(
                p, "c-med-1", "197535", "Clozapine 100 MG Oral Tablet", authored="2026-06-10", start="2026-06-12"
            )
        ],
    )

    p = "pt-b12"
    f["patient-view-b12-deficiency"] = request(
        "patient-view",
        "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a05",
        p,
        "1949-04-09",
        "female",
        [
            obs(p, "b-wbc-1", "wbc", 3.2, "2026-11-16T09:20:00Z", unit="/uL", reference_range=False)
            | {"valueQuantity": {"value": 3200, "unit": "/uL", "system": UCUM, "code": "/uL"}},
            obs(p, "b-b12", "b12", 118, "2026-11-16T09:20:00Z", unit="pmol/L"),
            obs(p, "b-folate", "folate", 8.4, "2026-11-16T09:20:00Z"),
        ],
        [],
    )

    p = "pt-fn"
    f["patient-view-febrile-neutropenia"] = request(
        "patient-view",
        "5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f06",
        p,
        "1958-09-18",
        "female",
        [
            obs(p, "f-anc-2", "anc", 0.3, "2026-11-20T06:00:00Z"),
            obs(p, "f-wbc-2", "wbc", 0.9, "2026-11-20T06:00:00Z"),
            obs(p, "f-temp-2", "temp", 38.6, "2026-11-20T05:40:00Z"),
            obs(p, "f-temp-1", "temp", 37.9, "2026-11-19T22:00:00Z"),
            obs(p, "f-anc-1", "anc", 3.9, "2026-10-30T08:00:00Z"),
            obs(p, "f-wbc-1", "wbc", 6.2, "2026-10-30T08:00:00Z"),
        ],
        [
            med_request(
                p, "f-med-1", "197550", "Cyclophosphamide 50 MG Oral Tablet", authored="2026-11-06", start="2026-11-07"
            ),
        ],
    )

    p = "pt-mtx"
    draft = med_request(
        p, "draft-mtx-1", "105585", "Methotrexate 2.5 MG Oral Tablet", status="draft", authored="2026-11-20"
    )
    f["order-sign-methotrexate"] = request(
        "order-sign",
        "8c9d0e1f-2a3b-4c4d-9e5f-6a7b8c9d0e07",
        p,
        "1967-02-27",
        "female",
        [
            obs(p, "x-wbc-1", "wbc", 3.1, "2026-11-12T08:00:00Z"),
            obs(p, "x-anc-1", "anc", 1.4, "2026-11-12T08:00:00Z"),
            obs(p, "x-b12", "b12", 350, "2026-07-01T08:00:00Z"),
            obs(p, "x-folate", "folate", 7.1, "2026-07-01T08:00:00Z"),
            obs(p, "x-copper", "copper", 88, "2026-07-01T08:00:00Z"),
        ],
        [],
        {"draftOrders": draft_bundle([draft])},
    )

    p = "pt-aza"
    draft = med_request(
        p, "draft-aza-1", "105611", "Azathioprine 50 MG Oral Tablet [Imuran]", status="draft", authored="2026-11-20"
    )
    other = med_request(
        p, "draft-other-1", "314076", "lisinopril 10 MG Oral Tablet", status="draft", authored="2026-11-20"
    )
    f["order-select-azathioprine"] = request(
        "order-select",
        "4f5a6b7c-8d9e-4f0a-8b1c-2d3e4f5a6b08",
        p,
        "1979-12-05",
        "male",
        [
            obs(p, "z-wbc-2", "wbc", 2.8, "2026-11-18T09:00:00Z"),
            obs(p, "z-anc-2", "anc", 1.1, "2026-11-18T09:00:00Z"),
            obs(p, "z-wbc-1", "wbc", 3.0, "2026-10-28T09:00:00Z"),
            obs(p, "z-b12", "b12", 610, "2026-09-01T09:00:00Z"),
            obs(p, "z-folate", "folate", 12.0, "2026-09-01T09:00:00Z"),
            obs(p, "z-copper", "copper", 92, "2026-09-01T09:00:00Z"),
        ],
        [],
        {"selections": ["MedicationRequest/draft-aza-1"], "draftOrders": draft_bundle([draft, other])},
    )

    p = "pt-result"
    new_wbc = obs(p, "r-wbc-2", "wbc", 2.9, "2026-11-20T07:30:00Z", status="final")
    new_neut = obs(p, "r-neut-2", "neut", 48, "2026-11-20T07:30:00Z")
    report = {
        "resourceType": "DiagnosticReport",
        "id": "r-cbc-2",
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "HM"}]}],
        "code": {"coding": [{"system": LOINC, "code": "57021-8", "display": "CBC W Auto Differential panel - Blood"}]},
        "subject": {"reference": f"Patient/{p}"},
        "effectiveDateTime": "2026-11-20T07:30:00Z",
        "issued": "2026-11-20T09:00:00Z",
        "result": [{"reference": "Observation/r-wbc-2"}, {"reference": "Observation/r-neut-2"}],
    }
    f["result-sign-new-leukopenia"] = request(
        "io.github.leukopenia-cds.result-sign",
        "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d09",
        p,
        "1995-06-17",
        "female",
        [
            obs(p, "r-wbc-1", "wbc", 3.6, "2026-11-06T08:00:00Z"),
            obs(p, "r-wbc-0", "wbc", 6.4, "2026-09-20T08:00:00Z"),
            obs(p, "r-b12", "b12", 455, "2026-06-02T08:00:00Z"),
        ],
        [],
        {"results": draft_bundle([report, new_wbc, new_neut])},
    )
    return f


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, body in fixtures().items():
        (OUT / f"{name}.json").write_text(json.dumps(body, indent=2) + "\n")
        print(name)
