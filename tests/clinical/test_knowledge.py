from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from cds_service.clinical.knowledge import KnowledgeBase, load_knowledge

KB = load_knowledge()


def test_knowledge_base_has_a_version_citing_its_content() -> None:
    assert re.fullmatch(r"\d{4}\.\d+\.\d+\+[0-9a-f]{8}", KB.version)


def test_an_entry_citing_an_unknown_source_fails_loading() -> None:
    data = json.loads(KB.model_dump_json(by_alias=True))
    data["labs"]["analytes"]["wbc"]["codes"][0]["source"] = "my-memory"
    with pytest.raises(ValidationError, match="unknown sources"):
        KnowledgeBase.model_validate(data)


def test_an_rxcui_without_the_source_it_was_checked_against_fails_loading() -> None:
    data = json.loads(KB.model_dump_json(by_alias=True))
    data["drugs"]["drugs"][0]["rxcui_source"] = None
    with pytest.raises(ValidationError, match="rxcui_source"):
        KnowledgeBase.model_validate(data)


def test_every_sandbox_product_maps_to_known_drugs_by_whole_words() -> None:
    assert len(KB.products) > 400
    for rxcui, product in KB.products.items():
        for drug_id in product.drugs:
            names = KB.drug_by_id[drug_id].names
            assert any(re.search(rf"\b{re.escape(n)}\b", product.name, re.I) for n in names), rxcui


def test_only_checked_loinc_codes_are_orderable() -> None:
    orderable = {o.code for o in KB.labs.orderables.values()}
    unverified = {c.code for a in KB.labs.analytes.values() for c in a.codes if c.source == "facts-verify-loinc"}
    assert orderable.isdisjoint(unverified)
