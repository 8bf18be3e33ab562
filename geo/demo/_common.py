"""Shared helpers of the demo generator: random sub-streams, boundary, planar-partition tools."""

from __future__ import annotations

import json
import zlib
from importlib import resources

import numpy as np
import shapely
from pyproj import Transformer
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from geo.coords import gcj02_to_wgs84

CRS = "EPSG:4547"
CENTRE_LONLAT = (114.93, 27.82)
YUSHUI_ADCODE = "360502"


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """An independent generator per named stage, so stages never shift each other's draws."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(stream.encode("utf-8"))])


def to_working(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tr = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    x, y = tr.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x), np.asarray(y)


def centre_xy() -> tuple[float, float]:
    x, y = to_working(np.array([CENTRE_LONLAT[0]]), np.array([CENTRE_LONLAT[1]]))
    return float(x[0]), float(y[0])


def load_boundary() -> tuple[shapely.Geometry, str, str]:
    """The real Yushui boundary (GCJ-02 in the packaged file) in WGS84-corrected EPSG:4547."""
    raw = resources.files("geo").joinpath("data/xinyu_360500.geojson").read_text(encoding="utf-8")
    data = json.loads(raw)
    feat = next(f for f in data["features"] if str(f["properties"].get("adcode")) == YUSHUI_ADCODE)
    geom = shapely.geometry.shape(feat["geometry"])
    coords = shapely.get_coordinates(geom)
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    x, y = to_working(lon, lat)
    geom = shapely.set_coordinates(geom, np.column_stack([x, y]))
    geom = shapely.make_valid(geom)
    return geom, str(feat["properties"].get("name", "渝水区")), YUSHUI_ADCODE


def polygon_adjacency(polys: np.ndarray, min_shared: float = 1.0) -> sparse.csr_matrix:
    """Symmetric adjacency of polygons of a coverage that share at least ``min_shared`` metres of
    boundary (corner contacts do not count). Weights are the shared lengths."""
    n = len(polys)
    tree = shapely.STRtree(polys)
    a, b = tree.query(polys, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return sparse.csr_matrix((n, n))
    bnd = shapely.boundary(polys)
    shared = shapely.length(shapely.intersection(bnd[a], bnd[b]))
    ok = shared >= min_shared
    a, b, w = a[ok], b[ok], shared[ok]
    m = sparse.coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    return m.tocsr()


def make_contiguous(
    labels: np.ndarray, adj: sparse.csr_matrix, weight: np.ndarray, max_rounds: int = 20
) -> np.ndarray:
    """Reassign the detached pieces of each label to the neighbouring label they share most
    boundary with, until every label is one connected piece (where the adjacency allows)."""
    labels = labels.copy()
    coo = adj.tocoo()
    for _ in range(max_rounds):
        same = labels[coo.row] == labels[coo.col]
        g = sparse.coo_matrix(
            (np.ones(same.sum()), (coo.row[same], coo.col[same])), shape=adj.shape
        )
        ncomp, comp = connected_components(g, directed=False)
        # main component of each label = the component with the largest weight
        comp_w = np.bincount(comp, weights=weight, minlength=ncomp)
        comp_label = np.zeros(ncomp, dtype=labels.dtype)
        comp_label[comp] = labels
        order = np.lexsort((-comp_w, comp_label))
        main = np.zeros(ncomp, bool)
        first = np.r_[True, comp_label[order][1:] != comp_label[order][:-1]]
        main[order[first]] = True
        stray = ~main[comp]
        if not stray.any():
            break
        # stray polygons: move to the other neighbouring label with the most shared boundary
        cross = stray[coo.row] & (labels[coo.row] != labels[coo.col])
        if not cross.any():
            break
        r, c, w = coo.row[cross], coo.col[cross], coo.data[cross]
        tgt = labels[c]
        # best target per row: sum weights per (row, target) then argmax
        key = r.astype(np.int64) * (labels.max() + 1) + tgt
        uk, inv = np.unique(key, return_inverse=True)
        sw = np.bincount(inv, weights=w)
        rows = uk // (labels.max() + 1)
        tg = uk % (labels.max() + 1)
        o = np.lexsort((-sw, rows))
        firstr = np.r_[True, rows[o][1:] != rows[o][:-1]]
        labels[rows[o][firstr]] = tg[o][firstr]
    return labels


def lloyd(
    points: np.ndarray, weights: np.ndarray, seeds: np.ndarray, fixed: int = 0, iters: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means; the first ``fixed`` seeds stay where they are. Returns labels, seeds."""
    from scipy.spatial import cKDTree

    seeds = seeds.astype(float).copy()
    labels = np.zeros(len(points), int)
    for _ in range(iters):
        _, labels = cKDTree(seeds).query(points)
        w = np.bincount(labels, weights=weights, minlength=len(seeds))
        sx = np.bincount(labels, weights=weights * points[:, 0], minlength=len(seeds))
        sy = np.bincount(labels, weights=weights * points[:, 1], minlength=len(seeds))
        ok = w > 0
        new = seeds.copy()
        new[ok, 0] = sx[ok] / w[ok]
        new[ok, 1] = sy[ok] / w[ok]
        new[:fixed] = seeds[:fixed]
        seeds = new
    _, labels = cKDTree(seeds).query(points)
    return labels, seeds


def random_points_in(polys: np.ndarray, rng: np.random.Generator, tries: int = 40) -> np.ndarray:
    """One uniform random point inside each polygon (rejection sampling in the envelope,
    falling back to the representative point). Returns an (n, 2) array."""
    n = len(polys)
    out = np.full((n, 2), np.nan)
    b = shapely.bounds(polys)
    todo = np.arange(n)
    for _ in range(tries):
        if len(todo) == 0:
            break
        x = b[todo, 0] + rng.random(len(todo)) * (b[todo, 2] - b[todo, 0])
        y = b[todo, 1] + rng.random(len(todo)) * (b[todo, 3] - b[todo, 1])
        ok = shapely.contains_xy(polys[todo], x, y)
        out[todo[ok], 0] = x[ok]
        out[todo[ok], 1] = y[ok]
        todo = todo[~ok]
    if len(todo):
        live = todo[~shapely.is_empty(polys[todo])]
        rp = shapely.point_on_surface(polys[live])
        out[live] = shapely.get_coordinates(rp).reshape(-1, 2)
    return out


def bearing_deg(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Compass bearing (degrees clockwise from north) of a direction vector."""
    return np.mod(np.degrees(np.arctan2(dx, dy)), 360.0)
