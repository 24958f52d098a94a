"""The road graph: compact CSR arrays per travel mode, saved as one memory-mappable ``.npz``.

Nodes are OpenStreetMap way nodes (every vertex of a street, not only crossings), so every edge
is a straight segment: snapping is exact and a route is its node sequence. Nodes are numbered in
spatial cell order, which lets a bounded search gather the nodes near a point as a few contiguous
index ranges instead of touching the whole graph.

Each mode has a forward and a reversed CSR. Both carry two spare slots at the end, the out-edges
of a *virtual node* ``N``: a search from a point that lies inside an edge starts at that virtual
node with the two partial-edge times, so one Dijkstra call answers "time to every node".
"""

from __future__ import annotations

import json
import math
import os
import struct
import threading
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

MODES: tuple[str, ...] = ("car", "ebike", "foot")
MODE_NAMES = {"car": "汽车", "ebike": "电动自行车", "foot": "步行"}
FORMAT_VERSION = 2
EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


class RoadError(ValueError):
    """A road-graph input or query that cannot be answered; nothing was written.

    ``code`` is stable (for the apps to translate), ``msg`` is a Chinese sentence for people.
    """

    code = "road_error"

    def __init__(self, msg: str, *, code: str | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        if code is not None:
            self.code = code


class InvalidPoint(RoadError):
    """A coordinate that is NaN, infinite or not a latitude/longitude at all."""

    code = "invalid_point"


class OutsideGraph(RoadError):
    """A point outside the area the graph covers."""

    code = "outside_graph"


def haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in metres; works on floats and numpy arrays alike."""
    p1 = np.radians(lat1)
    p2 = np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


@dataclass(frozen=True)
class SpatialGrid:
    """A local equirectangular projection (metres) and the cell index over the nodes.

    Nodes ``cell_start[c] .. cell_start[c + 1]`` lie in cell ``c = cy * nx + cx``. The projection
    is accurate to a few per mille over a city, which is all snapping and pruning need; reported
    distances are recomputed on the sphere.
    """

    lat0: float
    lon0: float
    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    cell_start: I64

    @property
    def kx(self) -> float:
        return M_PER_DEG * math.cos(math.radians(self.lat0))

    def project(self, lat: Any, lon: Any) -> tuple[Any, Any]:
        """WGS-84 degrees to local metres."""
        return (np.asarray(lon) - self.lon0) * self.kx, (np.asarray(lat) - self.lat0) * M_PER_DEG

    def unproject(self, x: Any, y: Any) -> tuple[Any, Any]:
        """Local metres back to (lat, lon) degrees."""
        return np.asarray(y) / M_PER_DEG + self.lat0, np.asarray(x) / self.kx + self.lon0

    def ranges_near(self, x: float, y: float, radius_m: float) -> tuple[I64, I64]:
        """Node index ranges ``[start, end)`` covering every node within ``radius_m`` of (x, y)."""
        c = self.cell_m
        cx0 = min(max(int((x - radius_m - self.x0) // c), 0), self.nx - 1)
        cx1 = min(max(int((x + radius_m - self.x0) // c), 0), self.nx - 1)
        cy0 = min(max(int((y - radius_m - self.y0) // c), 0), self.ny - 1)
        cy1 = min(max(int((y + radius_m - self.y0) // c), 0), self.ny - 1)
        rows = np.arange(cy0, cy1 + 1, dtype=np.int64) * self.nx
        starts = self.cell_start[rows + cx0]
        ends = self.cell_start[rows + cx1 + 1]
        keep = ends > starts
        return starts[keep], ends[keep]


@dataclass(frozen=True)
class ModeCSR:
    """One mode's adjacency in one direction: row ``u`` lists ``indices`` with times ``data``.

    ``edge`` maps each entry to the global edge id (forward CSRs only; empty for reversed
    ones, which the search reads and nothing else). Rows ``0..N-1`` are real nodes; row ``N``
    is the virtual node with exactly two entries (see the module doc). Parallel edges are
    merged at build time, so ``(u, v)`` appears at most once per row.
    """

    indptr: I32
    indices: I32
    data: F64
    edge: I32

    @property
    def n_entries(self) -> int:
        """Real entries, without the two virtual-node slots."""
        return int(self.indptr[-2])


@dataclass(frozen=True)
class RoadGraph:
    """A directed street graph with a travel time per edge for each mode.

    Global edges are sorted by source: ``indptr``/``indices`` is the forward CSR over all edges,
    ``edge_src``/``indices`` the same pairs as an edge list (``edge_src`` derived on demand). ``time_s[mode][e]`` is ``inf`` where
    the mode may not use edge ``e`` in that direction or the edge lies outside the mode's largest
    strongly connected component. ``rev[mode]`` is the reversed CSR the search runs on (saved);
    ``fwd[mode]`` the forward one, derived from the global edges on first use (not saved).
    """

    name: str
    lat: F64
    lon: F64
    osm_id: I64
    indptr: I32
    indices: I32
    length_m: F32
    time_s: dict[str, F32]
    rev: dict[str, ModeCSR]
    grid: SpatialGrid
    vmax_mps: dict[str, float]
    meta: dict[str, Any]
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, compare=False, repr=False)

    @property
    def n_nodes(self) -> int:
        return int(self.lat.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.indices.shape[0])

    @property
    def edge_src(self) -> I32:
        """The source node of every edge (the CSR rows spelled out), computed once."""
        src: I32 = self.cached(
            "edge_src",
            lambda: np.repeat(np.arange(self.n_nodes, dtype=np.int32), np.diff(self.indptr)),
        )
        return src

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(m for m in MODES if m in self.rev)

    @property
    def fwd(self) -> Mapping[str, ModeCSR]:
        """Forward CSR per mode, each built from the global edges on first use (~10 ms)."""
        return _ForwardCSRs(self)

    def _forward(self, mode: str) -> ModeCSR:
        sel = np.flatnonzero(np.isfinite(self.time_s[mode]))
        counts = np.bincount(self.edge_src[sel], minlength=self.n_nodes)
        indptr = np.zeros(self.n_nodes + 2, np.int32)
        np.cumsum(np.concatenate([counts, [2]]), out=indptr[1:])
        return ModeCSR(
            indptr=indptr,
            indices=np.concatenate([self.indices[sel], [0, 0]]).astype(np.int32),
            data=np.concatenate([self.time_s[mode][sel].astype(np.float64), [0.0, 0.0]]),
            edge=np.concatenate([sel, [-1, -1]]).astype(np.int32),
        )

    @property
    def illustrative(self) -> bool:
        """True for generated networks that only look like streets (never for an import)."""
        return bool(self.meta.get("illustrative", False))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon) of the nodes."""
        b = self.meta["bounds"]
        return float(b[0]), float(b[1]), float(b[2]), float(b[3])

    def cached(self, key: str, build: Any) -> Any:
        """A lazily built helper (snap index, scipy matrix), built once per graph and key."""
        value = self._cache.get(key)
        if value is None:
            with self._lock:
                value = self._cache.get(key)
                if value is None:
                    value = build()
                    self._cache[key] = value
        return value

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the graph as one uncompressed ``.npz`` (atomically: a failed save leaves nothing).

        Uncompressed members are stored contiguously, which is what lets ``load`` map them.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        try:
            arrays: dict[str, Any] = self._arrays()
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str], mmap: bool = True) -> RoadGraph:
        """Read a graph written by ``save``; with ``mmap`` the arrays stay in the page cache.

        Maps are copy-on-write: the search writes the virtual node's two slots in memory only.
        """
        p = Path(path)
        try:
            arrays = _read_npz(p, mmap=mmap)
            meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
        except (OSError, zipfile.BadZipFile, ValueError, KeyError) as exc:
            raise RoadError(f"无法读取路网文件 {p.name}：{exc}", code="bad_graph_file") from exc
        if meta.get("format") != FORMAT_VERSION:
            raise RoadError(f"路网文件 {p.name} 的格式版本不受支持", code="bad_graph_file")
        return _from_arrays(arrays, meta)

    def _arrays(self) -> dict[str, npt.NDArray[Any]]:
        out: dict[str, npt.NDArray[Any]] = {
            "lat": self.lat,
            "lon": self.lon,
            "osm_id": self.osm_id,
            "indptr": self.indptr,
            "indices": self.indices,
            "length_m": self.length_m,
            "cell_start": self.grid.cell_start,
        }
        for m in self.modes:
            out[f"time_{m}"] = self.time_s[m]
            for part in ("indptr", "indices", "data"):
                out[f"{m}_rev_{part}"] = getattr(self.rev[m], part)
        g = self.grid
        meta = dict(self.meta)
        meta.update(
            format=FORMAT_VERSION,
            name=self.name,
            modes=list(self.modes),
            vmax_mps=self.vmax_mps,
            grid=[g.lat0, g.lon0, g.x0, g.y0, g.cell_m, g.nx, g.ny],
        )
        out["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8)
        return out


class _ForwardCSRs(Mapping[str, ModeCSR]):
    """``graph.fwd``: a mode's forward CSR is derived only when that mode is asked for."""

    def __init__(self, graph: RoadGraph) -> None:
        self._graph = graph

    def __getitem__(self, mode: str) -> ModeCSR:
        g = self._graph
        if mode not in g.rev:
            raise KeyError(mode)
        csr: ModeCSR = g.cached(f"fwd:{mode}", lambda: g._forward(mode))
        return csr

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph.modes)

    def __len__(self) -> int:
        return len(self._graph.modes)


_NO_EDGE = np.zeros(0, np.int32)


def _from_arrays(a: dict[str, npt.NDArray[Any]], meta: dict[str, Any]) -> RoadGraph:
    lat0, lon0, x0, y0, cell_m, nx, ny = meta["grid"]
    grid = SpatialGrid(lat0, lon0, x0, y0, cell_m, int(nx), int(ny), a["cell_start"])
    modes = meta["modes"]
    rev = {
        m: ModeCSR(a[f"{m}_rev_indptr"], a[f"{m}_rev_indices"], a[f"{m}_rev_data"], _NO_EDGE)
        for m in modes
    }
    return RoadGraph(
        name=meta["name"],
        lat=a["lat"],
        lon=a["lon"],
        osm_id=a["osm_id"],
        indptr=a["indptr"],
        indices=a["indices"],
        length_m=a["length_m"],
        time_s={m: a[f"time_{m}"] for m in modes},
        rev=rev,
        grid=grid,
        vmax_mps={m: float(v) for m, v in meta["vmax_mps"].items()},
        meta=meta,
    )


def _read_npz(path: Path, *, mmap: bool) -> dict[str, npt.NDArray[Any]]:
    """Each stored member of an ``np.savez`` archive as a copy-on-write memory map."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    if not mmap or any(i.compress_type != zipfile.ZIP_STORED for i in infos):
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    out: dict[str, npt.NDArray[Any]] = {}
    with open(path, "rb") as fh:
        for info in infos:
            fh.seek(info.header_offset)
            local = fh.read(30)
            if local[:4] != b"PK\x03\x04":
                raise ValueError("corrupt zip member header")
            n_name, n_extra = struct.unpack("<HH", local[26:30])
            fh.seek(info.header_offset + 30 + n_name + n_extra)
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            key = info.filename.removesuffix(".npy")
            if dtype.hasobject:
                raise ValueError("object arrays are not allowed")
            if math.prod(shape) == 0:
                out[key] = np.empty(shape, dtype)
                continue
            mm = np.memmap(
                path, dtype=dtype, mode="c", offset=fh.tell(), shape=shape,
                order="F" if fortran else "C",
            )  # fmt: skip
            out[key] = np.asarray(mm)
    return out
