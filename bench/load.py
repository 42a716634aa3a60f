"""Load soak: the real server (uvicorn) on loopback under concurrent hook calls, bounded in time and count.

    .venv/bin/python -m bench.load [--seconds 20] [--concurrency 8] [--max-requests 20000]

Prints throughput and latency percentiles of hook calls next to a baseline measured in the same run: GET /healthz
through the same server and client (the cost of HTTP itself). Traffic goes to 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from cds_service.cli import SERVICE_FOR_HOOK

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def drive(
    url: str, requests: list[tuple[str, bytes | None]], seconds: float, concurrency: int, limit: int
) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    headers = {"Content-Type": "application/json"}

    async def worker(client: httpx.AsyncClient, offset: int) -> None:
        i = offset
        while time.monotonic() < deadline and len(latencies) < limit:
            path, body = requests[i % len(requests)]
            start = time.perf_counter()
            response = await (
                client.post(url + path, content=body, headers=headers) if body is not None else client.get(url + path)
            )
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
            i += concurrency

    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.gather(*(worker(client, n) for n in range(concurrency)))
    return latencies


def summary(name: str, latencies: list[float], seconds: float) -> str:
    q = statistics.quantiles(latencies, n=100)
    return (
        f"{name:12} {len(latencies):7d} req {len(latencies) / seconds:8.1f}/s  p50 {q[49] * 1e3:6.2f} ms  "
        f"p95 {q[94] * 1e3:6.2f} ms  p99 {q[98] * 1e3:6.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=20_000)
    args = parser.parse_args()
    port = free_port()
    scratch = tempfile.mkdtemp()
    env = {
        **os.environ,
        "LEUKO_AUTH": "off",
        "LEUKO_LOG_LEVEL": "WARNING",
        "LEUKO_DATABASE_URL": f"sqlite+aiosqlite:///{scratch}/load.db",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "cds_service.app:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/healthz", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        hooks = []
        for path in sorted((ROOT / "fixtures").glob("*.json")):
            body = json.loads(path.read_text())
            hooks.append((f"/cds-services/{SERVICE_FOR_HOOK[body['hook']]}", json.dumps(body).encode()))
        third = args.seconds / 3
        baseline = asyncio.run(drive(url, [("/healthz", None)], third, args.concurrency, args.max_requests))
        calls = asyncio.run(drive(url, hooks, 2 * third, args.concurrency, args.max_requests))
        print(summary("GET /healthz", baseline, third))
        print(summary("hook calls", calls, 2 * third))
        print(f"hook call p50 / healthz p50: {statistics.median(calls) / statistics.median(baseline):.1f}x")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
