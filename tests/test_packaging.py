"""The installed package (as the Dockerfile installs it, not editable) carries its data files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_contains_knowledge_templates_and_icon(tmp_path: Path) -> None:
    # Build from a copy of what the Dockerfile copies, so the build leaves nothing in the work tree.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("cds_service", "cards"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    wheel_dir = tmp_path / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir)]
    subprocess.run([*command, str(source)], check=True, capture_output=True)
    [wheel] = wheel_dir.glob("leukopenia_cds-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    knowledge = {p.name for p in (ROOT / "cds_service/clinical/knowledge").iterdir() if p.suffix in (".toml", ".json")}
    templates = {p.name for p in (ROOT / "cards/templates").glob("*.toml")}
    assert {f"cds_service/clinical/knowledge/{n}" for n in knowledge} <= names
    assert {f"cards/templates/{n}" for n in templates} <= names
    assert {"cards/static/icon.png", "cds_service/protocol/services.toml"} <= names
    assert not any(n.startswith(("tests/", "fixtures/")) for n in names)
