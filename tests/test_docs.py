from __future__ import annotations

from pathlib import Path

from cds_service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"LEUKO_{name.upper()}" in readme, name


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    assert "python3 dev.py test" in (ROOT / "README.md").read_text()
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("python3 dev.py test")
