"""Likely-duplicate search over open disputes: text, place and parties (pure, no Django).

A document is a dispute (case or lead) reduced to its word tokens (jieba, see
``services.text``), its WGS-84 point and its party keys (ID number, phone, name). The score of
a pair is

    0.6 · cosine(text, idf-weighted token sets) + 0.25 · nearness + 0.15 · shared parties

where nearness is 1 within 50 m and falls linearly to 0 at 500 m, and a shared ID number or
phone counts 1, a shared name alone 0.6. ``score_pair`` is the one definition; the index only
avoids scoring documents that cannot reach the threshold.

``DuplicateIndex`` keeps, per process: an inverted index token → document slots, a grid of
~250 m cells → slots, and party key → slots. A query gathers candidates from the postings of
its rarer tokens (accumulated with ``numpy.bincount``), the 3×3 cells around its point and
its parties, keeps the best few hundred by the text bound, and rescores them exactly.
Adding and removing documents is O(tokens); removal is lazy in the postings.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

W_TEXT, W_PLACE, W_PARTY = 0.6, 0.25, 0.15
NEAR_M, FAR_M = 50.0, 500.0
CELL_M = 250.0
_EARTH_R = 6_371_008.8
_M_PER_DEG_LAT = math.pi * _EARTH_R / 180.0


@dataclass(frozen=True)
class Doc:
    """One dispute as the index sees it."""

    key: Hashable
    tokens: frozenset[str]
    lat: float
    lon: float
    parties: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Match:
    """A likely duplicate: its key, the total score and the three parts that made it."""

    key: Hashable
    score: float
    text: float
    distance_m: float
    party: float


def party_keys(
    *, names: Iterable[str] = (), id_numbers: Iterable[str] = (), phones: Iterable[str] = ()
) -> frozenset[str]:
    """Normalised party keys: ``id:…`` and ``tel:…`` identify, ``name:…`` only suggests."""
    keys = {f"id:{v.strip().upper()}" for v in id_numbers if v and v.strip()}
    keys |= {f"tel:{''.join(c for c in v if c.isdigit())}" for v in phones if v and v.strip()}
    keys |= {f"name:{v.strip()}" for v in names if v and len(v.strip()) >= 2}
    return frozenset(keys)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_R * math.asin(min(1.0, math.sqrt(a)))


def _haversine_many(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """``haversine_m`` from one point to many, vectorised (same formula)."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    out: np.ndarray = 2 * _EARTH_R * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return out


def nearness(distance_m: float) -> float:
    """1 within 50 m, 0 beyond 500 m, linear between."""
    if distance_m <= NEAR_M:
        return 1.0
    if distance_m >= FAR_M:
        return 0.0
    return 1.0 - (distance_m - NEAR_M) / (FAR_M - NEAR_M)


def party_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """1 for a shared ID number or phone, 0.6 for a shared name only, else 0."""
    shared = a & b
    if not shared:
        return 0.0
    return 1.0 if any(not k.startswith("name:") for k in shared) else 0.6


def idf(df: int, n: int) -> float:
    """Smoothed inverse document frequency."""
    return math.log((n + 1) / (df + 1)) + 1.0


def query_weights(tokens: Iterable[str], df: dict[str, int], n: int) -> list[float]:
    """The idf of each query token (unseen tokens get the highest idf)."""
    return [idf(df.get(t, 0), n) for t in tokens]


def cosine(q: frozenset[str], d: frozenset[str], weight: dict[str, float]) -> float:
    """Cosine of two token sets, each token weighted by its idf (binary term frequency)."""
    shared = q & d
    if not shared:
        return 0.0
    num = sum(weight[t] ** 2 for t in shared)
    qn = math.sqrt(sum(weight[t] ** 2 for t in q))
    dn = math.sqrt(sum(weight[t] ** 2 for t in d))
    return num / (qn * dn) if qn and dn else 0.0


def score_pair(query: Doc, doc: Doc, weight: dict[str, float]) -> Match:
    """The duplicate score of ``doc`` for ``query`` (the one definition both paths use)."""
    text = cosine(query.tokens, doc.tokens, weight)
    dist = haversine_m(query.lat, query.lon, doc.lat, doc.lon)
    party = party_overlap(query.parties, doc.parties)
    score = W_TEXT * text + W_PLACE * nearness(dist) + W_PARTY * party
    return Match(doc.key, score, text, dist, party)


def _score_bounded(
    query: Doc, qn: float, doc: Doc, dist: float, weight: dict[str, float], threshold: float
) -> Match | None:
    """``score_pair`` with the distance given, or None as soon as it cannot reach the threshold.

    The text part is bounded before the document's norm is summed: by Cauchy-Schwarz the
    cosine is at most sqrt(Σ shared w²) / |q| — so most neighbours are dropped after one set
    intersection. The result, when there is one, equals ``score_pair``'s.
    """
    party = party_overlap(query.parties, doc.parties)
    rest = W_PLACE * nearness(dist) + W_PARTY * party
    shared = query.tokens & doc.tokens
    text = 0.0
    if shared:
        num = sum(weight[t] ** 2 for t in shared)
        if W_TEXT * math.sqrt(num) / qn + rest < threshold - 1e-12:
            return None
        dn = math.sqrt(sum(weight[t] ** 2 for t in doc.tokens))
        text = num / (qn * dn) if qn and dn else 0.0
    elif rest < threshold - 1e-12:
        return None
    return Match(doc.key, W_TEXT * text + rest, text, dist, party)


class _Weights(dict[str, float]):
    """idf by token, computed on demand from the index's live document frequencies."""

    def __init__(self, df: dict[str, int], n: int) -> None:
        super().__init__()
        self._df, self._n = df, n

    def __missing__(self, token: str) -> float:
        w = idf(self._df.get(token, 0), self._n)
        self[token] = w
        return w


def brute_force(
    query: Doc, docs: Iterable[Doc], df: dict[str, int], n: int, *, threshold: float, limit: int
) -> list[Match]:
    """Baseline: score the query against every document one by one."""
    weight = _Weights(df, n)
    out = [
        m
        for d in docs
        if d.key != query.key and (m := score_pair(query, d, weight)).score >= threshold
    ]
    out.sort(key=lambda m: (-m.score, str(m.key)))
    return out[:limit]


class DuplicateIndex:
    """Inverted index over tokens, a grid over points and a map of party keys."""

    def __init__(self, *, max_df_ratio: float = 0.02, rerank: int = 300) -> None:
        self.max_df_ratio = max_df_ratio
        self.rerank = rerank
        self._slot: dict[Hashable, int] = {}
        self._docs: list[Doc | None] = []
        self._postings: dict[str, list[int]] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self.df: dict[str, int] = {}
        self._cells: dict[tuple[int, int], set[int]] = {}
        self._parties: dict[str, set[int]] = {}
        self._norm = np.zeros(1024)
        self._lat = np.zeros(1024)
        self._lon = np.zeros(1024)
        self._free: list[int] = []

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._slot

    @staticmethod
    def _cell(lat: float, lon: float) -> tuple[int, int]:
        dlat = CELL_M / _M_PER_DEG_LAT
        dlon = dlat / max(0.1, math.cos(math.radians(lat)))
        return (math.floor(lat / dlat), math.floor(lon / dlon))

    def docs(self) -> Iterable[Doc]:
        """Every live document."""
        return (d for d in self._docs if d is not None)

    def add(self, doc: Doc) -> None:
        """Add or replace a document."""
        if doc.key in self._slot:
            self.remove(doc.key)
        slot = self._free.pop() if self._free else len(self._docs)
        if slot == len(self._docs):
            self._docs.append(doc)
        else:
            self._docs[slot] = doc
        if slot >= self._norm.size:
            grow = np.zeros(self._norm.size)
            self._norm = np.concatenate([self._norm, grow])
            self._lat = np.concatenate([self._lat, grow])
            self._lon = np.concatenate([self._lon, grow])
        self._lat[slot], self._lon[slot] = doc.lat, doc.lon
        self._slot[doc.key] = slot
        n = len(self._slot)
        for t in doc.tokens:
            self._postings.setdefault(t, []).append(slot)
            self._arrays.pop(t, None)
            self.df[t] = self.df.get(t, 0) + 1
        # The stored norm uses today's idf; it only ranks candidates, the rerank is exact.
        self._norm[slot] = math.sqrt(sum(idf(self.df[t], n) ** 2 for t in doc.tokens)) or 1.0
        self._cells.setdefault(self._cell(doc.lat, doc.lon), set()).add(slot)
        for k in doc.parties:
            self._parties.setdefault(k, set()).add(slot)

    def remove(self, key: Hashable) -> None:
        """Remove a document if present (its postings are pruned lazily)."""
        slot = self._slot.pop(key, None)
        if slot is None:
            return
        doc = self._docs[slot]
        assert doc is not None
        self._docs[slot] = None
        for t in doc.tokens:
            self.df[t] -= 1
            if self.df[t] <= 0:
                del self.df[t]
                self._postings.pop(t, None)
                self._arrays.pop(t, None)
            else:
                self._postings[t] = [s for s in self._postings[t] if s != slot]
                self._arrays.pop(t, None)
        cell = self._cells.get(self._cell(doc.lat, doc.lon))
        if cell:
            cell.discard(slot)
        for k in doc.parties:
            self._parties.get(k, set()).discard(slot)
        self._free.append(slot)

    def _posting(self, token: str) -> np.ndarray:
        arr = self._arrays.get(token)
        if arr is None:
            arr = self._arrays[token] = np.asarray(self._postings.get(token, ()), dtype=np.int64)
        return arr

    def _text_candidates(self, query: Doc, n: int, threshold: float) -> np.ndarray:
        weights = {t: idf(self.df.get(t, 0), n) for t in query.tokens if self.df.get(t, 0)}
        max_df = max(50, int(self.max_df_ratio * n))
        common = {t for t in weights if self.df[t] > max_df}
        # Frequent tokens are skipped unless they alone could carry a far document with no
        # shared party over the threshold (by Cauchy-Schwarz, their share of the query's norm
        # bounds the cosine they can produce).
        q2 = sum(w * w for w in query_weights(query.tokens, self.df, n))
        if (
            common
            and q2
            and math.sqrt(sum(weights[t] ** 2 for t in common) / q2) >= min(1.0, threshold / W_TEXT)
        ):
            common = set()
        idx, w = [], []
        for t, wt in weights.items():
            if t not in common:
                arr = self._posting(t)
                idx.append(arr)
                w.append(np.full(arr.size, wt * wt))
        if not idx:
            return np.empty(0, dtype=np.int64)
        acc = np.bincount(np.concatenate(idx), weights=np.concatenate(w), minlength=len(self._docs))
        hits = np.flatnonzero(acc)
        if hits.size > self.rerank:
            bound = acc[hits] / self._norm[hits]
            hits = hits[np.argpartition(-bound, self.rerank)[: self.rerank]]
        return hits

    def query(self, query: Doc, *, threshold: float = 0.4, limit: int = 5) -> list[Match]:
        """The documents scoring at least ``threshold`` for ``query``, best first."""
        n = len(self._slot)
        if n == 0:
            return []
        slots: set[int] = set(self._text_candidates(query, n, threshold).tolist())
        # Every cell within FAR_M, so that any document with a nonzero nearness is scored.
        ring = math.ceil(FAR_M / CELL_M)
        ci, cj = self._cell(query.lat, query.lon)
        for di in range(-ring, ring + 1):
            for dj in range(-ring, ring + 1):
                slots |= self._cells.get((ci + di, cj + dj), set())
        for k in query.parties:
            slots |= self._parties.get(k, set())
        weight = _Weights(self.df, n)
        qn = math.sqrt(sum(weight[t] ** 2 for t in query.tokens))
        cand = np.fromiter(slots, dtype=np.int64, count=len(slots))
        dists = _haversine_many(query.lat, query.lon, self._lat[cand], self._lon[cand])
        out = []
        for s, dist in zip(cand.tolist(), dists.tolist(), strict=True):
            doc = self._docs[s]
            if doc is None or doc.key == query.key:
                continue
            m = _score_bounded(query, qn, doc, dist, weight, threshold)
            if m is not None and m.score >= threshold:
                out.append(m)
        out.sort(key=lambda m: (-m.score, str(m.key)))
        return out[:limit]
