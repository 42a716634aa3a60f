"""Benchmark: a hook call end to end, against baselines measured in the same run.

    .venv/bin/python -m bench.run [--rounds N] [--size N]

Prints ratios, not verdicts: the time of one hook call (through the ASGI app) divided by the time to parse the
same request body with orjson; and what validating every prefetched resource with fhir.resources would cost,
against the engine's select-then-validate. `--size` pads the hematology history with older results to show how
the cost grows with a large record.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from fhir.resources.R4B.bundle import Bundle

from cds_service.app import create_app
from cds_service.cli import SERVICE_FOR_HOOK
from cds_service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def padded(body: dict[str, Any], size: int) -> dict[str, Any]:
    body = copy.deepcopy(body)
    entries = body["prefetch"]["hematology"]["entry"]
    if not entries:
        return body
    template = entries[0]["resource"]
    for i in range(size):
        old = copy.deepcopy(template)
        old["id"] = f"history-{i}"
        old["effectiveDateTime"] = (NOW - timedelta(days=100 + i)).isoformat()
        entries.append({"resource": old})
    return body


def timed(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def main(rounds: int, size: int) -> None:
    database = "sqlite+aiosqlite:///" + tempfile.mkdtemp() + "/bench.db"
    app = create_app(Settings(log_level="ERROR", auth="off", database_url=database), clock=lambda: NOW)
    print(f"{'fixture':42} {'entries':>7} {'parse ms':>9} {'call ms':>8} {'call/parse':>10} {'validate-all/call':>17}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for path in sorted((ROOT / "fixtures").glob("*.json")):
            body = padded(json.loads(path.read_text()), size)
            raw = orjson.dumps(body)
            url = f"/cds-services/{SERVICE_FOR_HOOK[body['hook']]}"
            entries = sum(len(v.get("entry", [])) for v in body["prefetch"].values() if isinstance(v, dict))
            parse = timed(lambda raw=raw: orjson.loads(raw), rounds)  # type: ignore[misc]

            call_samples = []
            for _ in range(rounds):
                start = time.perf_counter()
                response = await client.post(url, content=raw, headers={"Content-Type": "application/json"})
                call_samples.append(time.perf_counter() - start)
                assert response.status_code == 200
            call = statistics.median(call_samples)

            def validate_all(raw: bytes = raw) -> None:
                for value in orjson.loads(raw)["prefetch"].values():
                    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
                        Bundle.model_validate(value)

            validate = timed(validate_all, rounds)
            print(
                f"{path.stem:42} {entries:7d} {parse * 1e3:9.3f} {call * 1e3:8.2f} {call / parse:10.1f} "
                f"{validate / call:17.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--size", type=int, default=0, help="older hematology results to add to each record")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.size))
