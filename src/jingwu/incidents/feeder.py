"""The live demo feeder: a plausible stream of calls over the demo district, and units that move.

Runs as a background thread inside the server process (events then reach the open consoles
through the in-process hub), started by the first request when ``JINGWU_DEMO_FEED=1`` — which
``make demo`` sets; ``JINGWU_DEMO_FEED=0 make demo`` switches it off. It plays every role a real
district has outside the duty desk:

- the 110 platform: Poisson arrivals with the hour-of-day rate and each workstation's type mix
  (``JINGWU_DEMO_FEED_RATE`` calls per hour at the evening peak, default 40);
- the units' terminals: a dispatched unit leaves, follows its street route at its mode's speed
  and reports its position every few seconds (arrival on scene is then derived from position);
  idle units report where they are once a minute so they never look stale;
- a back-up dispatcher: a call nobody has dispatched within ``JINGWU_DEMO_AUTO_DISPATCH_S``
  (default 45 s) gets the engine's first recommendation; calls it dispatched it also resolves
  and closes after a few minutes on scene. Calls a person dispatched are left to that person.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.core.signals import request_started
from django.db import close_old_connections, transaction
from django.utils import timezone

from jingwu.engine.roads import RoadError, route
from jingwu.errors import DomainError
from jingwu.incidents import services
from jingwu.incidents.demo import HOURLY, KIND, MIX, PLATFORM_USERNAME, PRIORITY_OF
from jingwu.incidents.models import Assignment, Disposition, Incident, Status
from jingwu.orgs.services import Actor, actor_for
from jingwu.units import demo as units_demo
from jingwu.units import roadgraph
from jingwu.units import services as units
from jingwu.units.models import Unit, UnitStatus

log = logging.getLogger(__name__)
TICK_S = 2.0
SPEED_MPS = {"car": 30 / 3.6, "ebike": 15 / 3.6, "foot": 1.3}
CALL_WEIGHT = {
    "ws-taihe": 8.0,
    "ws-railway": 7.0,
    "ws-chongxian": 4.0,
    "ws-longtou": 4.0,
    "ws-guling": 1.5,
}
CALLERS = ["王先生", "李女士", "张先生", "刘女士", "陈先生", "林女士", "黄先生", "郑女士"]
DESCRIPTIONS = {
    "dispute": "两名顾客因排队发生口角，情绪激动。", "theft": "手机在人群中被偷，嫌疑人往北走了。",
    "robbery": "有人抢包后骑电动车逃离。", "fight": "多人在路边推搡扭打。", "drunk": "一名醉酒男子辱骂路人、拍打车辆。",
    "lost_person": "孩子在人流中走散，身穿蓝色外套。", "traffic": "两车刮擦，双方争执，占用车道。",
    "fire": "路边垃圾桶冒烟起火。", "noise": "楼上深夜装修噪音扰民。", "eco_damage": "山上有人砍伐树木。",
    "help": "老人摔倒需要帮助。", "other": "群众反映可疑情况。",
}  # fmt: skip


@dataclass
class Trip:
    """A unit following a street route: points and cumulative metres, speed, start time."""

    incident_id: int | None
    coords: np.ndarray  # (n, 2) lat, lon
    cum_m: np.ndarray
    speed: float
    started: float
    last_report: float = 0.0


@dataclass
class Feeder:
    """One feeder per process; ``tick`` does one step (tests call it directly)."""

    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng())
    rate_per_hour: float = float(os.environ.get("JINGWU_DEMO_FEED_RATE", "40"))
    auto_dispatch_s: float = float(os.environ.get("JINGWU_DEMO_AUTO_DISPATCH_S", "45"))
    trips: dict[int, Trip] = field(default_factory=dict)
    on_scene_for: dict[int, float] = field(default_factory=dict)
    last_idle_report: float = 0.0
    last_shift_check: float = 0.0
    actor: Actor | None = None

    def platform(self) -> Actor | None:
        if self.actor is None:
            user = get_user_model().objects.filter(username=PLATFORM_USERNAME).first()
            self.actor = actor_for(user) if user is not None else None
        return self.actor

    def tick(self, *, now: datetime | None = None, dt: float = TICK_S) -> None:
        now = now or timezone.now()
        actor = self.platform()
        if actor is None:
            return
        mono = time.monotonic()
        if mono - self.last_shift_check > 600:
            with transaction.atomic():
                units_demo.extend_shifts(now=now)
            self.last_shift_check = mono
        self.arrivals(actor, now, dt)
        self.auto_dispatch(actor, now)
        self.move(actor, now, mono)
        self.settle(actor, now)
        if mono - self.last_idle_report > 60:
            self.idle_reports(actor, now)
            self.last_idle_report = mono

    # --- the 110 platform ---
    def arrivals(self, actor: Actor, now: datetime, dt: float) -> None:
        hour = timezone.localtime(now).hour
        lam = self.rate_per_hour * HOURLY[hour] / HOURLY.max() * dt / 3600.0
        for _ in range(int(self.rng.poisson(lam))):
            self.new_call(actor, now)

    def new_call(self, actor: Actor, now: datetime) -> Incident | None:
        codes = list(CALL_WEIGHT)
        weights = np.array([CALL_WEIGHT[c] for c in codes])
        ws = str(self.rng.choice(codes, p=weights / weights.sum()))
        types, w = zip(*MIX[KIND[ws]].items(), strict=True)
        kind = str(self.rng.choice(types, p=np.array(w) / sum(w)))
        post = Unit.objects.filter(workstation__code=ws).values_list("post_lat", "post_lon").first()
        if post is None or post[0] is None:
            return None
        radius = 2500.0 if ws == "ws-guling" else 1000.0
        (lat, lon), = units_demo.street_points(post[0], post[1], 1, radius, "foot", self.rng)  # fmt: skip
        fields = {
            "lat": lat, "lon": lon, "type": kind, "priority": PRIORITY_OF[kind], "source": "110",
            "caller_name": str(self.rng.choice(CALLERS)), "description": DESCRIPTIONS[kind],
            "caller_phone": f"13{self.rng.integers(100000000, 999999999)}", "address": "",
        }  # fmt: skip
        try:
            with transaction.atomic():
                incident, _ = services.create_incident(actor=actor, fields=fields, now=now)
            return incident
        except DomainError as exc:
            log.info("feeder call refused: %s", exc)
            return None

    # --- the back-up dispatcher ---
    def auto_dispatch(self, actor: Actor, now: datetime) -> None:
        waiting = Incident.objects.filter(
            status=Status.RECEIVED, received_at__lt=now - timedelta(seconds=self.auto_dispatch_s),
            received_at__gt=now - timedelta(hours=6),
        ).order_by("priority", "received_at")[:5]  # fmt: skip
        for incident in waiting:
            try:
                recs = services.recommend(incident=incident, now=now, k=1)["items"]
                if not recs:
                    continue
                with transaction.atomic():
                    fresh = services.get_incident(
                        actor=actor, incident_id=incident.pk, for_update=True
                    )
                    services.assign_unit(
                        actor=actor, incident=fresh, unit_id=recs[0]["unit_id"], now=now
                    )
            except DomainError as exc:
                log.info("feeder could not dispatch %s: %s", incident.pk, exc)

    # --- the units' terminals ---
    def move(self, actor: Actor, now: datetime, mono: float) -> None:
        moving = Unit.objects.filter(
            status__in=[UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE, UnitStatus.RETURNING],
            is_active=True,
        )
        seen = set()
        for unit in moving:
            seen.add(unit.pk)
            trip = self.trips.get(unit.pk)
            if trip is None or trip.incident_id != unit.current_incident_id:
                trip = self.plan(unit, mono)
                if trip is None:
                    continue
                self.trips[unit.pk] = trip
                if unit.status == UnitStatus.DISPATCHED:
                    self.leave(actor, unit, now)
            if mono - trip.last_report < 3.0:
                continue
            trip.last_report = mono
            lat, lon, done = self.position(trip, mono)
            self.report(actor, unit, lat, lon, now)
            if done and unit.status == UnitStatus.RETURNING:
                with transaction.atomic():
                    try:
                        units.set_status(
                            actor=actor,
                            unit=Unit.objects.get(pk=unit.pk),
                            to=UnitStatus.AVAILABLE,
                            now=now,
                        )
                    except DomainError:
                        units.set_status(
                            actor=actor,
                            unit=Unit.objects.get(pk=unit.pk),
                            to=UnitStatus.OFF_DUTY,
                            now=now,
                        )
                self.trips.pop(unit.pk, None)
        for gone in set(self.trips) - seen:
            self.trips.pop(gone, None)

    def plan(self, unit: Unit, mono: float) -> Trip | None:
        if unit.last_lat is None:
            return None
        if unit.status == UnitStatus.RETURNING:
            target, incident_id = (unit.post_lat, unit.post_lon), None
        else:
            point = (
                Incident.objects.filter(pk=unit.current_incident_id)
                .values_list("lat", "lon")
                .first()
            )
            if point is None:
                return None
            target, incident_id = point, unit.current_incident_id
        if target[0] is None:
            return None
        coords = [(unit.last_lat, unit.last_lon)]
        graph = roadgraph.get_graph()
        if graph is not None:
            try:
                feature = route(graph, (unit.last_lat, unit.last_lon), target, mode=unit.mode)
                coords += [(c[1], c[0]) for c in feature["geometry"]["coordinates"]]
            except RoadError:
                pass
        coords.append(target)
        xy = np.array(coords, float)
        k = math.cos(math.radians(xy[0, 0]))
        seg = np.hypot(np.diff(xy[:, 0]) * 111_195.0, np.diff(xy[:, 1]) * 111_195.0 * k)
        return Trip(
            incident_id,
            xy,
            np.concatenate([[0.0], np.cumsum(seg)]),
            SPEED_MPS.get(unit.mode, 4.0),
            mono,
        )

    @staticmethod
    def position(trip: Trip, mono: float) -> tuple[float, float, bool]:
        d = (mono - trip.started) * trip.speed
        if d >= trip.cum_m[-1]:
            return float(trip.coords[-1, 0]), float(trip.coords[-1, 1]), True
        i = int(np.searchsorted(trip.cum_m, d, side="right")) - 1
        span = trip.cum_m[i + 1] - trip.cum_m[i]
        f = (d - trip.cum_m[i]) / span if span > 0 else 0.0
        p = trip.coords[i] + f * (trip.coords[i + 1] - trip.coords[i])
        return float(p[0]), float(p[1]), False

    def leave(self, actor: Actor, unit: Unit, now: datetime) -> None:
        """The unit pressed "出发": its incident goes en route (if still only dispatched)."""
        try:
            with transaction.atomic():
                incident = services.get_incident(
                    actor=actor, incident_id=unit.current_incident_id, for_update=True
                )
                if incident.status == Status.DISPATCHED:
                    services.transition(actor=actor, incident=incident, to=Status.EN_ROUTE, now=now)
        except DomainError:
            pass

    def report(self, actor: Actor, unit: Unit, lat: float, lon: float, now: datetime) -> None:
        try:
            with transaction.atomic():
                units.report_position(
                    actor=actor,
                    unit=Unit.objects.get(pk=unit.pk),
                    lat=lat,
                    lon=lon,
                    now=now,
                    accuracy=8.0,
                )
        except DomainError as exc:
            log.info("feeder position refused: %s", exc)

    def idle_reports(self, actor: Actor, now: datetime) -> None:
        for unit in Unit.objects.filter(
            is_active=True,
            status__in=[UnitStatus.AVAILABLE, UnitStatus.OFF_DUTY, UnitStatus.ON_SCENE],
        ):
            if unit.last_lat is not None:
                self.report(actor, unit, unit.last_lat, unit.last_lon, now)

    # --- the calls the feeder dispatched: resolve and close them after a while on scene ---
    def settle(self, actor: Actor, now: datetime) -> None:
        mine = Assignment.objects.filter(assigned_by=actor.user).values("incident_id")
        for incident in Incident.objects.filter(
            pk__in=mine, status__in=[Status.ON_SCENE, Status.RESOLVED]
        ):
            due = self.on_scene_for.setdefault(incident.pk, float(self.rng.uniform(150, 420)))
            since = incident.resolved_at or incident.on_scene_at
            wait = 30.0 if incident.status == Status.RESOLVED else due
            if since is None or (now - since).total_seconds() < wait:
                continue
            to = Status.CLOSED if incident.status == Status.RESOLVED else Status.RESOLVED
            disposition = str(
                self.rng.choice([Disposition.HANDLED, Disposition.MEDIATED, Disposition.HELPED])
            )
            try:
                with transaction.atomic():
                    fresh = services.get_incident(
                        actor=actor, incident_id=incident.pk, for_update=True
                    )
                    services.transition(
                        actor=actor, incident=fresh, to=to, now=now, disposition=disposition
                    )
            except DomainError as exc:
                log.info("feeder could not settle %s: %s", incident.pk, exc)
            if to == Status.CLOSED:
                self.on_scene_for.pop(incident.pk, None)


_started = False
_start_lock = threading.Lock()


def _loop() -> None:
    feeder = Feeder()
    time.sleep(1.0)
    log.warning("demo feeder running (JINGWU_DEMO_FEED=0 switches it off)")
    while True:
        started = time.monotonic()
        try:
            close_old_connections()
            feeder.tick()
        except Exception:  # the demo must keep going whatever one step did
            log.exception("demo feeder step failed")
        finally:
            close_old_connections()
        time.sleep(max(0.2, TICK_S - (time.monotonic() - started)))


def _start(**_: Any) -> None:
    global _started
    with _start_lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_loop, name="jingwu-demo-feeder", daemon=True).start()


def start_in_background() -> None:
    """Start the feeder with the first request this process serves (servers only)."""
    request_started.connect(_start, dispatch_uid="jingwu-demo-feeder")
