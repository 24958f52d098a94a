"""Coordinates for a district: WGS-84 / GCJ-02 conversion, great-circle distance, local metres.

Coordinates are stored as WGS-84 (``lat``, ``lon`` in degrees). Chinese consumer maps (AMap,
Tencent, Google China) publish GCJ-02, an obfuscated datum; input that declares GCJ-02 goes
through :func:`gcj02_to_wgs84` once, at the edge. Every function here accepts floats or numpy
arrays where noted and never mutates its arguments.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

FloatArray = npt.NDArray[np.float64]

#: Mean Earth radius (IUGG R1), used by :func:`haversine_m`.
EARTH_RADIUS_M = 6_371_008.8

# GCJ-02 is defined on the Krasovsky 1940 ellipsoid (the published constants, not WGS-84's).
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323

# WGS-84 ellipsoid, for the local projection.
_WGS84_A = 6378137.0
_WGS84_F = 1.0 / 298.257223563
_WGS84_E2 = _WGS84_F * (2.0 - _WGS84_F)

# GCJ-02 applies only inside this rough box around mainland China (the bounds every public
# implementation uses); outside it coordinates are returned unchanged.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

_GCJ_INVERSE_TOL_DEG = 1e-10  # about 0.01 mm; the iteration reaches it in a few steps
_GCJ_INVERSE_MAX_ITER = 30


def _in_china(lat: FloatArray, lon: FloatArray) -> npt.NDArray[np.bool_]:
    return (
        (lon >= _CHINA_LON[0])
        & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _gcj_offset(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 shift (dlat, dlon) in degrees at a WGS-84 position (the published formulas)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    # Terms shared by both series: the high-frequency wobble in x.
    wobble = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat = dlat + wobble
    dlat = dlat + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon = dlon + wobble
    dlon = dlon + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    # The series give metres on the Krasovsky ellipsoid; turn them into degrees.
    rad_lat = lat / 180.0 * pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * pi)
    return dlat, dlon


def wgs84_to_gcj02_array(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised :func:`wgs84_to_gcj02`: arrays of WGS-84 degrees to GCJ-02 degrees.

    Positions outside mainland China's box (and NaN) come back unchanged.
    """
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    dlat, dlon = _gcj_offset(la, lo)
    inside = _in_china(la, lo)
    return np.where(inside, la + dlat, la), np.where(inside, lo + dlon, lo)


def gcj02_to_wgs84_array(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Vectorised :func:`gcj02_to_wgs84`: arrays of GCJ-02 degrees to WGS-84 degrees.

    Inverts the forward transform by fixed-point iteration until every residual is below
    1e-10 degrees (about 0.01 mm); the shift varies slowly, so three or four steps suffice.
    """
    g_lat = np.asarray(lat, dtype=np.float64)
    g_lon = np.asarray(lon, dtype=np.float64)
    inside = _in_china(g_lat, g_lon)
    w_lat = g_lat.copy()
    w_lon = g_lon.copy()
    for _ in range(_GCJ_INVERSE_MAX_ITER):
        f_lat, f_lon = _gcj_offset(w_lat, w_lon)
        r_lat = w_lat + f_lat - g_lat
        r_lon = w_lon + f_lon - g_lon
        w_lat = w_lat - r_lat
        w_lon = w_lon - r_lon
        residual = np.maximum(np.abs(r_lat), np.abs(r_lon))
        if not np.any(inside & (residual > _GCJ_INVERSE_TOL_DEG)):
            break
    return np.where(inside, w_lat, g_lat), np.where(inside, w_lon, g_lon)


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (lat, lon) to GCJ-02 (lat, lon), in degrees.

    Outside mainland China's rough bounding box the input is returned unchanged, as every
    public implementation does (Hong Kong, Macau and Taiwan fall inside the box and are shifted).
    """
    g_lat, g_lon = wgs84_to_gcj02_array(lat, lon)
    return float(g_lat), float(g_lon)


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 (lat, lon) to WGS-84 (lat, lon), in degrees; inverse of :func:`wgs84_to_gcj02`.

    The round trip WGS-84 -> GCJ-02 -> WGS-84 is exact to better than a millimetre.
    """
    w_lat, w_lon = gcj02_to_wgs84_array(lat, lon)
    return float(w_lat), float(w_lon)


@overload
def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float: ...


@overload
def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray: ...


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> float | FloatArray:
    """Great-circle distance in metres on the mean-radius sphere; floats or broadcast arrays.

    The sphere is within about 0.5 % of the WGS-84 geodesic (0.2-0.4 % at Fuzhou's latitude);
    use :class:`LocalProjection` where areas or lengths must be closer than that.
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    d: FloatArray = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    if d.ndim == 0:
        return float(d)
    return d


class LocalProjection:
    """A local metric plane around (lat0, lon0): x east, y north, in metres, WGS-84 ellipsoid.

    The plane is the tangent plane at the origin (east-north-up coordinates of the point on the
    ellipsoid, dropping "up"): an orthographic projection of the ellipsoid. Lengths and areas
    shrink by cos(d/R) at distance d from the origin, so the scale error is under 1.2e-5 within
    30 km and under 0.1 % within 280 km; directions from the origin are exact. Within a
    district it agrees with the WGS-84 geodesic far better than the 0.1 % promised.
    """

    def __init__(self, lat0: float, lon0: float) -> None:
        if not (-90.0 < lat0 < 90.0 and -180.0 <= lon0 <= 180.0):
            raise ValueError(f"origin out of range: lat0={lat0}, lon0={lon0}")
        self.lat0 = float(lat0)
        self.lon0 = float(lon0)
        phi = math.radians(self.lat0)
        lam = math.radians(self.lon0)
        self._sin_phi, self._cos_phi = math.sin(phi), math.cos(phi)
        self._sin_lam, self._cos_lam = math.sin(lam), math.cos(lam)
        ox, oy, oz = _ecef(np.asarray(self.lat0), np.asarray(self.lon0))
        self._origin = (float(ox), float(oy), float(oz))

    @classmethod
    def around(cls, geom: BaseGeometry) -> LocalProjection:
        """A projection centred on the bounding box of a lon/lat geometry."""
        minx, miny, maxx, maxy = geom.bounds
        return cls((miny + maxy) / 2.0, (minx + maxx) / 2.0)

    def to_xy(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """WGS-84 degrees to (x, y) metres east and north of the origin; arrays broadcast."""
        la = np.asarray(lat, dtype=np.float64)
        lo = np.asarray(lon, dtype=np.float64)
        ex, ey, ez = _ecef(la, lo)
        dx, dy, dz = ex - self._origin[0], ey - self._origin[1], ez - self._origin[2]
        east = -self._sin_lam * dx + self._cos_lam * dy
        north = (
            -self._sin_phi * self._cos_lam * dx
            - self._sin_phi * self._sin_lam * dy
            + self._cos_phi * dz
        )
        return east, north

    def to_latlon(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """(x, y) metres back to WGS-84 (lat, lon) degrees; inverse of :meth:`to_xy`.

        Newton-like correction with the local radii of curvature; converges to well under a
        millimetre in a few steps within hundreds of kilometres of the origin.
        """
        xs = np.asarray(x, dtype=np.float64)
        ys = np.asarray(y, dtype=np.float64)
        m0, n0 = _radii(math.radians(self.lat0))
        lat = self.lat0 + np.degrees(ys / m0)
        lon = self.lon0 + np.degrees(xs / (n0 * self._cos_phi))
        for _ in range(10):
            ex, ey = self.to_xy(lat, lon)
            m, n = _radii(np.radians(lat))
            rx, ry = xs - ex, ys - ey
            lat = lat + np.degrees(ry / m)
            lon = lon + np.degrees(rx / (n * np.cos(np.radians(lat))))
            if (
                max(float(np.max(np.abs(rx), initial=0.0)), float(np.max(np.abs(ry), initial=0.0)))
                < 1e-6
            ):
                break
        return lat, lon

    def project_geometry(self, geom: BaseGeometry) -> BaseGeometry:
        """A lon/lat shapely geometry to the same geometry in metres (x east, y north).

        Vertices are projected and joined by straight lines again, so an edge that is straight
        in lon/lat bows by up to a metre over 5 km. That is nothing against a polygon's area,
        but it is everything for the slivers left between two polygons sharing such an edge:
        measure intersections and differences computed in lon/lat with :func:`area_m2`.
        """

        def forward(coords: FloatArray) -> FloatArray:
            x, y = self.to_xy(coords[:, 1], coords[:, 0])
            return np.column_stack([x, y])

        return shapely.transform(geom, forward)

    def unproject_geometry(self, geom: BaseGeometry) -> BaseGeometry:
        """A metre geometry from :meth:`project_geometry` back to lon/lat (e.g. after a buffer)."""

        def backward(coords: FloatArray) -> FloatArray:
            lat, lon = self.to_latlon(coords[:, 0], coords[:, 1])
            return np.column_stack([lon, lat])

        return shapely.transform(geom, backward)


def area_m2(geom: BaseGeometry) -> float:
    """Area on the WGS-84 ellipsoid, in m², of a lon/lat geometry (edges straight in lon/lat).

    The lon/lat area times the ellipsoid's area scale M * N * cos(lat) at the geometry's
    centroid: the linear term of the scale's variation integrates to zero about the centroid,
    so the relative error is below (height in radians)^2 / 8, about 4e-5 for a region 1 degree
    tall. Unlike projecting vertices, it keeps slivers between shared edges at their true size.
    """
    if geom.is_empty:
        return 0.0
    area_deg2 = float(geom.area)
    if area_deg2 == 0.0:
        return 0.0
    phi = math.radians(float(geom.centroid.y))
    m, n = _radii(phi)
    return area_deg2 * float(m * n) * math.cos(phi) * (math.pi / 180.0) ** 2


def _radii(phi: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Meridional and prime-vertical radii of curvature (M, N) on WGS-84 at latitude phi (rad)."""
    s2 = np.sin(np.asarray(phi, dtype=np.float64)) ** 2
    w = np.sqrt(1.0 - _WGS84_E2 * s2)
    return _WGS84_A * (1.0 - _WGS84_E2) / w**3, _WGS84_A / w


def _ecef(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Earth-centred Cartesian coordinates (m) of points on the WGS-84 ellipsoid (height 0)."""
    phi = np.radians(lat)
    lam = np.radians(lon)
    _, n = _radii(phi)
    cos_phi = np.cos(phi)
    return n * cos_phi * np.cos(lam), n * cos_phi * np.sin(lam), n * (1.0 - _WGS84_E2) * np.sin(phi)
