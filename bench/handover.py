"""Benchmark: generating a shift handover from the live data, against one query per item.

Run with ``.venv/bin/python -m bench.handover`` (SQLite) or ``--db postgresql`` (or ``--db
both``). Each database is a fresh one made for the run and removed afterwards: SQLite a file
in a temporary directory (WAL, synchronous=FULL, as in production); PostgreSQL the database
``jingwu_bench_handover`` on 127.0.0.1:5432 as ``postgres``, created and dropped here.

The demo district is loaded, then open incidents are added directly (bulk insert): 5,000 at
the duty desk of 火车站派出所路地联勤指挥中心 (``ws-railway``) and 45,000 more spread over the
branch's other workstations, so the branch desk (``jinan-branch``) has 50,000. A first
handover of each desk is signed, so every timed one carries its open items forward against
the previous shift (the steady state). Then, for each desk:

- ``use case``: ``handovers.create_handover`` as the branch commander — every source (open
  incidents, disputes, units, equipment, patrols, the previous shift's open tasks), items
  compared with the previous handover, written with ``bulk_create``, audited; inside a
  transaction rolled back after each run so every run sees the same data;
- ``one query per item``: the same incident items built the way an ORM loop does it — the ids
  in one query, then per item one SELECT of the incident, one SELECT of the previous shift's
  line for it, and one INSERT — also rolled back.

It prints p50/p99 wall time per handover and the ratio, and checks that both produce the same
incident lines. Sized to finish in a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PASSWORD = "jingwu-bench"
PG_NAME = "jingwu_bench_handover"
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
DESK_ITEMS = 5_000
BRANCH_ITEMS = 50_000
SEED = 20261128


def _setup(db: str, tmp: Path) -> None:
    os.environ.setdefault("JINGWU_ENV", "dev")
    os.environ["JINGWU_DATA_DIR"] = str(tmp)
    if db == "sqlite":
        os.environ["JINGWU_DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        import psycopg

        with psycopg.connect(dbname="postgres", autocommit=True, **PG_ADMIN) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
            pg.execute(f'CREATE DATABASE "{PG_NAME}"')
        os.environ["JINGWU_DATABASE_URL"] = (
            f"postgresql://{PG_ADMIN['user']}@{PG_ADMIN['host']}:{PG_ADMIN['port']}/{PG_NAME}"
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingwu.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _drop(db: str) -> None:
    if db == "postgresql":
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(dbname="postgres", autocommit=True, **PG_ADMIN) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')


def _open_incidents(n_desk: int, n_rest: int) -> None:
    """Open incidents: ``n_desk`` at ws-railway, ``n_rest`` at the other workstations."""
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from jingwu.areas.models import Area
    from jingwu.incidents.models import Incident

    rng = np.random.default_rng(SEED)
    user = get_user_model().objects.get(username="commander_jinan")
    now = timezone.now()
    desks = list(Area.objects.filter(level="workstation").select_related("organization"))
    railway = next(a for a in desks if a.code == "ws-railway")
    others = [a for a in desks if a.code != "ws-railway"]
    types = ["theft", "dispute", "help", "lost_person", "drunk", "traffic"]
    statuses = ["received", "dispatched", "en_route", "on_scene", "resolved"]
    rows = []
    for k in range(n_desk + n_rest):
        area = railway if k < n_desk else others[k % len(others)]
        lat = (area.post_lat or 26.1) + float(rng.normal(0, 0.004))
        lon = (area.post_lon or 119.3) + float(rng.normal(0, 0.004))
        rows.append(
            Incident(
                type=types[k % len(types)], priority=f"P{1 + k % 4}", source="110",
                status=statuses[k % len(statuses)], lat=lat, lon=lon,
                address=f"演示地址 {k}", description="（基准测试）", workstation_id=area.pk,
                organization_id=area.organization_id, target_s=900, created_by=user,
                received_at=now - np.timedelta64(int(rng.integers(60, 86_400)), "s").item(),
            )
        )  # fmt: skip
    Incident.objects.bulk_create(rows, batch_size=2000)


def _naive(actor: Any, desk_code: str, now: Any) -> int:
    """The incident lines of a handover, one query (and one insert) per item."""
    from django.db.models import Q

    from jingwu.incidents.models import OPEN_STATUSES, Incident, IncidentType, Priority, Status
    from jingwu.jointcmd.models import Handover, HandoverItem, ItemKind
    from jingwu.jointcmd.services.handovers import police_below
    from jingwu.jointcmd.services.rosters import LOCAL
    from jingwu.orgs.models import Organization

    desk = Organization.objects.get(code=desk_code)
    orgs = police_below(desk.pk)
    previous = Handover.objects.filter(organization=desk, post=None).order_by("-signed_at").first()
    h = Handover.objects.create(
        organization=desk, previous=previous, signed_at=now, outgoing_id=actor.person_id,
        counts={}, digest="",
    )  # fmt: skip
    ids = list(
        Incident.objects.filter(
            Q(organization_id__in=orgs) | Q(room_organization_id__in=orgs), status__in=OPEN_STATUSES
        )
        .order_by("priority", "received_at", "id")
        .values_list("id", flat=True)
    )
    types, statuses, priorities = (
        dict(IncidentType.choices),
        dict(Status.choices),
        dict(Priority.choices),
    )
    for n, pk in enumerate(ids):
        inc = Incident.objects.get(pk=pk)
        prev = HandoverItem.objects.filter(
            handover=previous, kind=ItemKind.INCIDENT, ref=str(pk), is_open=True
        ).first()
        number = f"JQ{inc.received_at.astimezone(LOCAL):%Y%m%d}-{pk:05d}"
        label = f"{number} {types.get(inc.type, inc.type)} {inc.priority} {inc.address}".strip()
        HandoverItem.objects.create(
            handover=h, kind=ItemKind.INCIDENT, ref=str(pk), label=label[:200],
            status=f"{statuses[inc.status]} · {priorities[inc.priority]}", position=n,
            carried_from=prev,
        )  # fmt: skip
    return len(ids)


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    """Wall times of ``repeats`` runs of ``fn`` inside a transaction that is rolled back."""
    from django.db import transaction

    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        with transaction.atomic():
            result = fn()
            elapsed = time.perf_counter() - start
            transaction.set_rollback(True)
        times.append(elapsed)
    return times, result


def _q(times: list[float]) -> tuple[float, float]:
    if len(times) == 1:
        return times[0], times[0]
    q = statistics.quantiles(times, n=100, method="inclusive")
    return q[49], q[98]


def run(db: str, repeats: int, naive_repeats: int, branch_naive_repeats: int) -> list[str]:
    """Load, fill, time; return the printed lines."""
    tmp = Path(tempfile.mkdtemp(prefix="jingwu-bench-handover-"))
    _setup(db, tmp)
    try:
        return _measure(db, repeats, naive_repeats, branch_naive_repeats)
    finally:
        _drop(db)


def _measure(db: str, repeats: int, naive_repeats: int, branch_naive_repeats: int) -> list[str]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from jingwu.demo.loader import load_demo
    from jingwu.jointcmd.models import HandoverItem
    from jingwu.jointcmd.services import handovers
    from jingwu.orgs.services import actor_for

    t0 = time.perf_counter()
    load_demo(password=PASSWORD)
    with transaction.atomic():
        _open_incidents(DESK_ITEMS, BRANCH_ITEMS - DESK_ITEMS)
    actor = actor_for(get_user_model().objects.get(username="commander_jinan"))
    lines = [
        f"database: {connection.vendor} ({'temporary file' if db == 'sqlite' else PG_NAME + ', created and dropped'})",
        f"setup (demo + {BRANCH_ITEMS:,} open incidents): {time.perf_counter() - t0:.1f} s",
    ]
    for code in ("ws-railway", "jinan-branch"):
        with transaction.atomic():  # the previous shift, so items are carried forward
            handovers.create_handover(actor=actor, desk_code=code, now=timezone.now())

    def use_case(code: str) -> Callable[[], Any]:
        def go() -> Any:
            h = handovers.create_handover(actor=actor, desk_code=code, now=timezone.now())
            items = list(
                HandoverItem.objects.filter(handover=h, kind="incident").values_list(
                    "ref", "label", "status", "carried_from_id"
                )
            )
            return items

        return go

    def naive(code: str) -> Callable[[], Any]:
        def go() -> Any:
            _naive(actor, code, timezone.now())
            from jingwu.jointcmd.models import Handover

            h = Handover.objects.order_by("-id").first()
            return list(
                HandoverItem.objects.filter(handover=h).values_list(
                    "ref", "label", "status", "carried_from_id"
                )
            )

        return go

    lines.append(f"{'desk':<14}{'items':>8}  {'method':<20}{'runs':>5}{'p50 s':>10}{'p99 s':>10}")
    for code, label in (("ws-railway", "desk"), ("jinan-branch", "branch")):
        fast, items = _timed(use_case(code), repeats)
        # 50,000 single-row round trips take minutes: the branch's baseline runs once by default.
        slow_runs = naive_repeats if code == "ws-railway" else branch_naive_repeats
        slow, naive_items = _timed(naive(code), slow_runs)
        same = sorted(r[:3] for r in items) == sorted(r[:3] for r in naive_items)
        carried = sum(1 for r in items if r[3]) == len(items)
        (f50, f99), (s50, s99) = _q(fast), _q(slow)
        lines.append(
            f"{label:<14}{len(items):>8,}  {'use case':<20}{len(fast):>5}{f50:>10.3f}{f99:>10.3f}"
        )
        lines.append(
            f"{'':<14}{len(naive_items):>8,}  {'one query per item':<20}{len(slow):>5}{s50:>10.3f}{s99:>10.3f}"
        )
        lines.append(
            f"{'':<14}{'':>8}  ratio p50 {s50 / f50:.1f}x; same incident lines: {same}; "
            f"every line carried from the previous shift: {carried}"
        )
    lines.append("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    return lines


def main() -> None:
    global DESK_ITEMS, BRANCH_ITEMS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--naive-repeats", type=int, default=3)
    parser.add_argument("--branch-naive-repeats", type=int, default=1)
    parser.add_argument("--desk-items", type=int, default=DESK_ITEMS)
    parser.add_argument("--branch-items", type=int, default=BRANCH_ITEMS)
    args = parser.parse_args()
    DESK_ITEMS, BRANCH_ITEMS = args.desk_items, args.branch_items
    if args.db == "both":
        # Django is configured once per process: run each database in its own process.
        import subprocess

        for db in ("sqlite", "postgresql"):
            subprocess.run(
                [sys.executable, "-m", "bench.handover", "--db", db, "--repeats", str(args.repeats),
                 "--naive-repeats", str(args.naive_repeats), "--desk-items", str(DESK_ITEMS),
                 "--branch-naive-repeats", str(args.branch_naive_repeats),
                 "--branch-items", str(BRANCH_ITEMS)],
                check=True,
            )  # fmt: skip
        return
    for line in run(args.db, args.repeats, args.naive_repeats, args.branch_naive_repeats):
        print(line, flush=True)


if __name__ == "__main__":
    main()
