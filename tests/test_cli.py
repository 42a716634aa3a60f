from __future__ import annotations

import json

import pytest

from cds_service.cli import main
from tests.conftest import FIXTURES


def test_evaluate_prints_the_cards_of_a_request_file(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["evaluate", str(FIXTURES / "patient-view-clozapine.json"), "--at", "2026-11-20T14:00:00+00:00"])
    assert code == 0
    cards = json.loads(capsys.readouterr().out)["cards"]
    assert [c["source"]["topic"]["code"] for c in cards] == ["low-count", "medication-review"]
