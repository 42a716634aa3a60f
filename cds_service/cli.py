"""Command line: serve the hooks, or evaluate a request file offline and print the cards."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import httpx
import orjson

from cds_service.clinical.knowledge import load_knowledge
from cds_service.protocol.services import load_services, service_ids_by_hook

SERVICE_FOR_HOOK = service_ids_by_hook(load_services(load_knowledge()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="leukopenia-cds", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the CDS Hooks endpoints with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    evaluate = commands.add_parser("evaluate", help="run a CDS Hooks request file through the service")
    evaluate.add_argument("request", type=Path, help="a request JSON file, e.g. fixtures/patient-view-clozapine.json")
    evaluate.add_argument("--at", help="evaluate as of this ISO 8601 time (default: now)")
    report = commands.add_parser("report", help="acceptance and override rates per card kind (LEUKO_DATABASE_URL)")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if args.command == "report":
        return asyncio.run(_report(as_json=args.json))
    if args.command == "serve":
        import uvicorn

        uvicorn.run("cds_service.app:app", host=args.host, port=args.port)
        return 0
    return asyncio.run(_evaluate(args.request, args.at))


async def _evaluate(path: Path, at: str | None) -> int:
    """Offline: no caller to authenticate, and cards issued here are kept out of the feedback database."""
    from cds_service.app import create_app
    from cds_service.pipeline import system_clock
    from cds_service.settings import Settings

    body = orjson.loads(path.read_bytes())
    moment = datetime.fromisoformat(at) if at else None
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(auth="off", database_url=f"sqlite+aiosqlite:///{scratch}/evaluate.db", log_level="ERROR")
        app = create_app(settings, clock=(lambda: moment) if moment else system_clock)
        service = SERVICE_FOR_HOOK.get(str(body.get("hook")), "unknown")
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://cli") as client:
                response = await client.post(f"/cds-services/{service}", json=body)
        finally:
            await app.state.service.close()
    sys.stdout.write(orjson.dumps(response.json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0 if response.status_code == 200 else 1


async def _report(*, as_json: bool) -> int:
    from cds_service.feedback.storage import FeedbackStore
    from cds_service.settings import Settings

    store = FeedbackStore(Settings().database_url)
    try:
        report = await store.report()
    finally:
        await store.close()
    if as_json:
        sys.stdout.write(orjson.dumps(report.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    lines = [f"{'card kind':24} {'issued':>7} {'accepted':>9} {'overridden':>11} {'accept %':>9} {'override %':>11}"]
    for k in report.kinds:
        lines.append(
            f"{k.kind:24} {k.issued:7d} {k.accepted:9d} {k.overridden:11d} "
            f"{k.acceptance_rate * 100:8.1f}% {k.override_rate * 100:10.1f}%"
        )
    if report.override_reasons:
        lines += ["", f"{'card kind':24} {'override reason':40} {'count':>6}"]
        lines += [f"{r.kind:24} {(r.code or '(none)'):40} {r.count:6d}" for r in report.override_reasons]
    lines += ["", f"feedback for cards this service did not issue: {report.unmatched_feedback}"]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
