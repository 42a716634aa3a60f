"""The installed package (as the Dockerfile installs it, not editable) carries its data files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_contains_knowledge_templates_and_icon(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("leukopenia_cds-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    knowledge = {p.name for p in (ROOT / "cds_service/clinical/knowledge").iterdir() if p.suffix in (".toml", ".json")}
    templates = {p.name for p in (ROOT / "cards/templates").glob("*.toml")}
    assert {f"cds_service/clinical/knowledge/{n}" for n in knowledge} <= names
    assert {f"cards/templates/{n}" for n in templates} <= names
    assert {"cards/static/icon.png", "cds_service/protocol/services.toml"} <= names
    assert not any(n.startswith(("tests/", "fixtures/")) for n in names)
