"""The ``jingwu`` command: demo, serve, areas import/export, audit verify, roads, Django's manage."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from jingwu.roads_cli import app as roads_app

app = typer.Typer(help="Jingwu 警务 — 智慧警务站平台", no_args_is_help=True, add_completion=False)
demo_app = typer.Typer(help="演示辖区 / the Jin'an demo district", no_args_is_help=True)
areas_app = typer.Typer(help="辖区边界 / jurisdiction polygons (GeoJSON)", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(areas_app, name="areas")
app.add_typer(audit_app, name="audit")
app.add_typer(roads_app, name="roads")

out = Console()
#: Seconds a stopping server process waits for open requests and event streams.
GRACEFUL_S = 3
err = Console(stderr=True)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    import django

    django.setup()


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(1)


def _run(func: Any) -> Any:
    """Run a use case; a DomainError becomes ``error: …`` on stderr and exit status 1."""
    from jingwu.errors import DomainError

    try:
        return func()
    except DomainError as exc:
        lines = [
            str(e.get("msg"))
            + (f"  ({'/'.join(map(str, e.get('loc', [])))})" if e.get("loc") else "")
            for e in exc.detail()
        ]
        _fail("\n  ".join(lines))


@app.command(
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    }
)
def manage(ctx: typer.Context) -> None:
    """Run a Django management command (migrate, createsuperuser, shell…)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jingwu manage", *ctx.args])


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = typer.Option(8000, envvar="PORT"),
    workers: int = typer.Option(1, envvar="JINGWU_WORKERS", help="server processes"),
) -> None:
    """Serve the application with uvicorn (ASGI). Ctrl-C stops it.

    Requests run on a few long-lived threads per process (``JINGWU_THREADS``, default 8);
    the call intake writes through one writer thread per process (jingwu.writes). With
    several processes (``--workers``, one per core) live events cross processes by
    LISTEN/NOTIFY on PostgreSQL and by local datagram sockets on SQLite.
    """
    from jingwu import supervisor

    banner = f"Jingwu: http://{host}:{port}/   API docs: http://{host}:{port}/api/v1/docs"
    if workers > 1 and supervisor.supported():
        # One socket per process (SO_REUSEPORT): the kernel spreads the connections evenly.
        out.print(banner)
        command = [sys.executable, "-m", "jingwu.cli", "serve", "--host", host,
                   "--port", str(port), "--workers", "1"]  # fmt: skip
        raise typer.Exit(supervisor.supervise(command, workers, say=out.print))
    _django()
    import uvicorn

    # Open live-event streams never end by themselves: a stop waits for them at most a few
    # seconds, so a stopped server (or one whose supervisor died) does not linger serving them.
    options: dict[str, Any] = dict(
        factory=True, log_level="warning", lifespan="off", access_log=False,
        timeout_graceful_shutdown=GRACEFUL_S,
    )  # fmt: skip
    if os.environ.get(supervisor.REUSE_PORT_ENV):  # one of the supervisor's processes
        sock = supervisor.listening_socket(host, port)
        config = uvicorn.Config("jingwu.server:get_application", **options)
        uvicorn.Server(config).run(sockets=[sock])
        return
    out.print(banner)
    uvicorn.run("jingwu.server:get_application", host=host, port=port, workers=workers, **options)


@demo_app.command("load")
def demo_load(password: str = typer.Option("jingwu-demo", envvar="JINGWU_DEMO_PASSWORD")) -> None:
    """Create or refresh the Jin'an demo district and print the demo accounts."""
    _django()
    from django.core.management import call_command

    from jingwu.demo.loader import load_demo

    call_command("migrate", verbosity=0)
    accounts = _run(lambda: load_demo(password=password))
    table = Table(title=f"演示账号 / demo accounts (password: {password})")
    for col in ("username", "姓名", "角色", "单位"):
        table.add_column(col)
    for a in accounts:
        table.add_row(a.username, a.name, a.role, a.organization)
    out.print(table)


@areas_app.command("import")
def areas_import(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON FeatureCollection")
    ],
    dry_run: bool = typer.Option(False, "--dry-run", help="validate only, write nothing"),
) -> None:
    """Import areas of every tier from GeoJSON (all or nothing; overlaps refused, gaps reported)."""
    _django()
    from django.db import transaction

    from jingwu.areas.services import import_areas

    try:
        doc = json.loads(file.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{file}: not valid JSON ({exc})")

    def run() -> Any:
        with transaction.atomic():
            return import_areas(doc=doc, dry_run=dry_run)

    report = _run(run)
    for w in report.warnings:
        err.print(f"[yellow]warning:[/] {w['msg']} ({', '.join(w['areas'])})")
    verb = "would create" if dry_run else "created"
    out.print(
        f"{verb} {report.created}, {'would update' if dry_run else 'updated'} {report.updated}, warnings {len(report.warnings)}"
    )


@areas_app.command("export")
def areas_export(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="file (default: stdout)")
    ] = None,
    level: Annotated[
        str | None, typer.Option(help="branch, station, workstation, police_room or grid")
    ] = None,
) -> None:
    """Export areas as one GeoJSON FeatureCollection that ``areas import`` reads back."""
    _django()
    from jingwu.areas.models import Level
    from jingwu.areas.services import export_areas

    if level is not None and level not in Level.values:
        _fail(f"unknown level {level!r} (choose from {', '.join(Level.values)})")
    text = json.dumps(export_areas(level=level), ensure_ascii=False, indent=1)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text, "utf-8")
        out.print(f"wrote {output}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain; name the first broken row."""
    _django()
    from jingwu.audit.services import verify_chain

    result = verify_chain()
    if not result.ok:
        _fail(
            f"audit chain broken at row {result.broken_id} ({result.reason}); {result.checked} rows read"
        )
    out.print(f"audit chain intact: {result.checked} rows")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
