"""A fleet's last positions as columns, each unit snapped once when its fix arrives."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from ..roads import MODES, RoadGraph, Snap, Snaps, TimeField, snap_many
from .reach import ReachIndex
from .rules import AVAILABLE, DispatchError, UnitSnapshot

_SNAP_COLUMNS = {
    "snapped": np.bool_, "snap_ok": np.bool_, "a": np.int64, "b": np.int64, "t": np.float64,
    "w_ab": np.float64, "w_ba": np.float64, "to_a": np.float64, "to_b": np.float64,
    "snap_m": np.float64,
}  # fmt: skip
_MODE_CODE = {m: i for i, m in enumerate(MODES)}


class UnitBoard:
    """A fleet's last positions as columns; each unit is snapped once per position fix.

    Keep one board per graph and call ``update`` as fixes arrive; ranking then only reads
    arrays. With ``snap_now=False`` units are snapped lazily, when an incident is near them.

    With ``reach_budget_s`` (or ``enable_reach_index``) every unit is snapped and searched
    forward when its fix arrives (``ReachIndex``); rankings with a budget up to that one then
    read the units' times from the index instead of searching from the incident (same ETAs).
    """

    def __init__(
        self,
        graph: RoadGraph | None,
        units: Iterable[UnitSnapshot] = (),
        *,
        snap_now: bool = True,
        max_snap_m: float = 300.0,
        reach_budget_s: float | None = None,
    ) -> None:
        self.graph, self.max_snap_m, self.snap_now = graph, max_snap_m, snap_now
        self.units: list[UnitSnapshot] = list(units)
        self._row = {u.id: i for i, u in enumerate(self.units)}
        if len(self._row) != len(self.units):
            raise DispatchError("巡防力量编号重复", code="duplicate_unit")
        self._cols = _columns(self.units)
        self._version = 0  # bumped on every change of a unit: memos of rules read it
        self._memo: dict[Any, Any] = {}
        self.reach: ReachIndex | None = None
        if snap_now:
            self._ensure_snapped(np.arange(len(self.units)))
        if reach_budget_s is not None:
            self.enable_reach_index(reach_budget_s)

    def enable_reach_index(self, budget_s: float) -> None:
        """Index every unit's reach within ``budget_s`` now, and keep it as fixes arrive."""
        if self.graph is None:
            raise DispatchError("没有路网，无法建立可达索引", code="no_graph")
        self._ensure_snapped(np.arange(len(self.units)))
        self.reach = ReachIndex(self.graph, budget_s)
        for row, u in enumerate(self.units):
            self.reach.place(u.id, row, self._position(row))
        self.reach.compact()  # every entry in the base: no delta to read
        self._changed()

    def drop_reach_index(self) -> None:
        """Rank by searching from the incident again (the index is forgotten)."""
        self.reach = None
        self._changed()

    def _position(self, row: int) -> Snap | None:
        """The snapped street position of ``row`` as a ``Snap``; None when off the network."""
        c, graph = self._cols, self.graph
        code = int(c["mode"][row])
        if graph is None or code < 0 or not c["snap_ok"][row] or MODES[code] not in graph.fwd:
            return None
        a, b, t = int(c["a"][row]), int(c["b"][row]), float(c["t"][row])
        return Snap(
            mode=MODES[code], edge=-1, fraction=t, a=a, b=b, t=t,
            w_ab=float(c["w_ab"][row]), w_ba=float(c["w_ba"][row]),
            distance_m=float(c["snap_m"][row]),
            lat=float(graph.lat[a] + t * (graph.lat[b] - graph.lat[a])),
            lon=float(graph.lon[a] + t * (graph.lon[b] - graph.lon[a])),
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.units)

    def update(self, unit: UnitSnapshot) -> None:
        """Record a new position fix or status (adding the unit if new); re-snaps it alone."""
        self._changed()
        row = self._row.get(unit.id)
        moved = True
        if row is None:
            row = len(self.units)
            self.units.append(unit)
            self._row[unit.id] = row
            for name, col in self._cols.items():
                self._cols[name] = np.append(col, np.zeros(1, col.dtype))
        else:
            old = self.units[row]
            moved = (old.lat, old.lon, old.mode) != (unit.lat, unit.lon, unit.mode)
            self.units[row] = unit
        snapped = bool(self._cols["snapped"][row])
        self._write_row(row, unit)
        if not moved:  # a status or tier change: the snap (and reach) still hold
            self._cols["snapped"][row] = snapped
        if self.snap_now or self.reach is not None:
            self._ensure_snapped(np.array([row]))
        if self.reach is not None and moved:
            self.reach.place(unit.id, row, self._position(row))

    def remove(self, unit_id: int | str) -> None:
        """Forget a unit (off shift, decommissioned); the others keep their snaps."""
        row = self._row.get(unit_id)
        if row is None:
            return
        self._changed()
        if self.reach is not None:
            self.reach.forget(unit_id, row=row)
        keep = np.ones(len(self.units), bool)
        keep[row] = False
        self._cols = {name: col[keep] for name, col in self._cols.items()}
        del self.units[row]
        self._row = {u.id: i for i, u in enumerate(self.units)}

    def _changed(self) -> None:
        self._version += 1
        self._memo.clear()

    def memo(self, key: Any, build: Any) -> Any:
        """A value derived from the units (eligibility for a rule set), until the next change."""
        value = self._memo.get(key)
        if value is None:
            if len(self._memo) > 64:
                self._memo.clear()
            value = self._memo[key] = build()
        return value

    def _times_to(self, field: TimeField, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """``field.times_from`` for the snapped positions of ``rows``."""
        c = self._cols
        return field.times_from_ends(
            c["a"][rows], c["b"][rows], c["t"][rows], c["to_a"][rows], c["to_b"][rows]
        )

    def _write_row(self, i: int, u: UnitSnapshot) -> None:
        c = self._cols
        c["lat"][i], c["lon"][i] = lat, lon = float_or_nan(u.lat), float_or_nan(u.lon)
        c["valid"][i] = math.isfinite(lat + lon) and abs(lat) <= 90 and abs(lon) <= 180
        c["tier"][i] = u.tier
        c["mode"][i] = _MODE_CODE.get(u.mode, -1)
        c["available"][i] = u.status == AVAILABLE
        c["fix_ts"][i] = timestamp_of(u.fix_time)
        c["snapped"][i] = False

    def _ensure_snapped(self, rows: npt.NDArray[np.int64]) -> None:
        c = self._cols
        rows = rows[~c["snapped"][rows]]
        if rows.size == 0:
            return
        c["snapped"][rows] = True
        c["snap_ok"][rows] = False
        if self.graph is None:
            return
        for code, mode in enumerate(MODES):
            sel = rows[c["mode"][rows] == code]
            if sel.size == 0 or mode not in self.graph.rev:
                continue
            s = snap_many(
                self.graph, c["lat"][sel], c["lon"][sel], mode=mode, max_distance_m=self.max_snap_m
            )
            for name in ("a", "b", "t", "w_ab", "w_ba", "to_a", "to_b"):
                c[name][sel] = getattr(s, name)
            c["snap_m"][sel], c["snap_ok"][sel] = s.distance_m, s.ok

    def _snaps(self, rows: npt.NDArray[np.int64]) -> Snaps:
        c = self._cols
        return Snaps(
            c["a"][rows], c["b"][rows], c["t"][rows], c["w_ab"][rows], c["w_ba"][rows],
            c["to_a"][rows], c["to_b"][rows], c["snap_m"][rows], c["lat"][rows],
            c["lon"][rows], c["snap_ok"][rows], rows,
        )  # fmt: skip


def _columns(units: list[UnitSnapshot]) -> dict[str, npt.NDArray[Any]]:
    """The board's columns for ``units``: one pass over the objects, then numpy."""
    n = len(units)
    code = _MODE_CODE.get
    try:
        table = np.array(
            [
                (
                    u.lat,
                    u.lon,
                    u.tier,
                    code(u.mode, -1),
                    u.status == AVAILABLE,
                    u.fix_time.timestamp() if u.fix_time.tzinfo else math.nan,
                )
                for u in units
            ],  # fmt: skip
            np.float64,
        ).reshape(n, 6)
    except (TypeError, ValueError):  # a malformed field: the slow path says which
        table = np.array([_row(u) for u in units], np.float64).reshape(n, 6)
    if np.isnan(table[:, 5]).any():
        timestamp_of(units[int(np.flatnonzero(np.isnan(table[:, 5]))[0])].fix_time)
    lat, lon = table[:, 0].copy(), table[:, 1].copy()
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    cols: dict[str, npt.NDArray[Any]] = {
        "lat": lat,
        "lon": lon,
        "valid": valid,
        "tier": table[:, 2].astype(np.int64),
        "mode": table[:, 3].astype(np.int64),
        "available": table[:, 4] > 0,
        "fix_ts": table[:, 5].copy(),
    }
    cols.update({name: np.zeros(n, dtype) for name, dtype in _SNAP_COLUMNS.items()})
    return cols


def _row(u: UnitSnapshot) -> tuple[float, float, int, int, bool, float]:
    return (
        float_or_nan(u.lat),
        float_or_nan(u.lon),
        int(u.tier),
        _MODE_CODE.get(u.mode, -1),
        u.status == AVAILABLE,
        timestamp_of(u.fix_time),
    )


def lacks_skills(board: UnitBoard, required: frozenset[str]) -> npt.NDArray[np.bool_]:
    """Per unit on the board: True when it lacks one of the ``required`` skills."""
    if not required:
        return np.zeros(len(board), bool)
    return np.fromiter((not required <= u.skills for u in board.units), bool, len(board))


def float_or_nan(value: Any) -> float:
    """A coordinate as float; NaN (an invalid position, excluded) when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def timestamp_of(when: datetime) -> float:
    """POSIX seconds of an aware time; a naive one is refused (times are UTC everywhere)."""
    if when.tzinfo is UTC:
        return when.timestamp()
    if when.tzinfo is None or when.utcoffset() is None:
        raise DispatchError("时间必须带时区（UTC）", code="naive_datetime")
    return when.timestamp()
