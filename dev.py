#!/usr/bin/env python3
"""The project's two commands, on a fresh machine with only Python and pip:

    python3 dev.py serve    serve the hooks on http://127.0.0.1:8000/cds-services (embedded defaults)
    python3 dev.py test     ruff, mypy --strict and the whole pytest suite

Both create ./.venv and install the project into it when pyproject.toml has changed since the last install.
Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def ensure_environment() -> None:
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing leukopenia-cds and its test tools into .venv ...", flush=True)
    run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[test]"])
    STAMP.write_text(wanted)


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def serve() -> None:
    env = {**os.environ}
    env.setdefault("LEUKO_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    # Local use: no JWT needed (the service logs a warning). Production sets LEUKO_AUTH=required (the default).
    env.setdefault("LEUKO_AUTH", "off")
    os.execve(
        str(PYTHON),
        [
            str(PYTHON),
            "-m",
            "uvicorn",
            "cds_service.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            "8000",
            "--no-access-log",
        ],
        env,
    )


def test() -> None:
    run([str(PYTHON), "-m", "ruff", "check", "."])
    run([str(PYTHON), "-m", "mypy"])
    run([str(PYTHON), "-m", "pytest", *sys.argv[2:]])


def main() -> None:
    commands = {"serve": serve, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    ensure_environment()
    commands[sys.argv[1]]()


if __name__ == "__main__":
    main()
