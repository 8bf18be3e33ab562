"""The synthetic road network: jittered arterials, a river with few bridges, local streets per
super-block, service roads into compounds; noded into an osmnx-style directed graph.

Every road is first a *way* (a LineString with OSM-like tags). Ways are noded together with GEOS,
pieces are mapped back to their way, pieces outside the core or in the river (except bridges) and
the short overshoot stubs are dropped, and the result becomes nodes and directed edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from geo.demo._names import (
    BANK_ROADS,
    EW_ARTERIALS,
    EXTRA_ARTERIALS,
    NS_ARTERIALS,
    RING_ROADS,
    local_street_names,
)

MAXSPEED = {
    "trunk": "70",
    "primary": "60",
    "secondary": "50",
    "tertiary": "40",
    "residential": "30",
    "service": "20",
}
RIVER_HALF_WIDTH = 70.0
BANK_OFFSET = 110.0
OVERSHOOT = 12.0
STUB_MAX = 16.0


@dataclass
class Ways:
    geoms: list = field(default_factory=list)
    highway: list = field(default_factory=list)
    name: list = field(default_factory=list)
    name_south: list = field(default_factory=list)
    oneway: list = field(default_factory=list)
    bridge_ok: list = field(default_factory=list)
    kind: list = field(default_factory=list)

    def add(
        self, geom, highway, name, *, name_south="", oneway=False, bridge_ok=False, kind="local"
    ):
        self.geoms.append(geom)
        self.highway.append(highway)
        self.name.append(name)
        self.name_south.append(name_south)
        self.oneway.append(bool(oneway))
        self.bridge_ok.append(bool(bridge_ok))
        self.kind.append(kind)

    def __len__(self) -> int:
        return len(self.geoms)


@dataclass
class River:
    centre: shapely.LineString
    polygon: shapely.Geometry
    corridor: shapely.Polygon
    north_bank: shapely.LineString
    south_bank: shapely.LineString
    coef: tuple[float, ...]

    def y_at(self, x: np.ndarray) -> np.ndarray:
        cx, y0, a1, w1, p1, a2, w2, p2 = self.coef
        t = np.asarray(x, float) - cx
        return y0 + a1 * np.sin(2 * np.pi * t / w1 + p1) + a2 * np.sin(2 * np.pi * t / w2 + p2)


@dataclass
class Skeleton:
    """Arterials, river and ring: what the local streets are laid out in."""

    ways: Ways
    river: River
    core: shapely.Polygon
    superblocks: np.ndarray  # Polygons (river corridor faces excluded)


# --------------------------------------------------------------------------------------------
def _wavy(
    axis: str,
    c0: float,
    lo: float,
    hi: float,
    amp: float,
    wl: float,
    ph: float,
    tilt: float,
    ref: float,
    step: float = 25.0,
) -> shapely.LineString:
    t = np.arange(lo, hi + step, step)
    off = c0 + tilt * (t - ref) + amp * np.sin(2 * np.pi * (t - ref) / wl + ph)
    xy = np.column_stack([off, t]) if axis == "ns" else np.column_stack([t, off])
    return shapely.LineString(xy)


def _positions(
    rng: np.random.Generator,
    centre: float,
    lo: float,
    hi: float,
    spacing: tuple[float, float],
    margin: float,
) -> list[tuple[int, float]]:
    """Arterial positions outward from the centre: (offset index, coordinate)."""
    out = [(0, centre + rng.uniform(-120, 120))]
    for sign in (1, -1):
        k, c = 0, out[0][1]
        while True:
            c = c + sign * rng.uniform(*spacing)
            k += sign
            if c < lo + margin or c > hi - margin:
                break
            out.append((k, c))
    return sorted(out, key=lambda kc: kc[1])


def _arterial_name(table: dict[int, str], k: int, extra: list[str], used: set[str]) -> str:
    if k in table:
        return table[k]
    for nm in extra:
        if nm not in used:
            used.add(nm)
            return nm
    return f"{abs(k)}号路"


def build_skeleton(
    rng: np.random.Generator, core: shapely.Polygon, cx: float, cy: float, scale: float
) -> Skeleton:
    x0, y0, x1, y1 = core.bounds
    ways = Ways()
    shrink = min(1.0, float(np.sqrt(scale)))  # small districts keep the river inside the core
    # -- river: flows W -> E a little south of the centre ------------------------------------
    coef = (
        cx,
        cy - 1300.0 * shrink,
        rng.uniform(200, 260) * shrink,
        6000.0,
        rng.uniform(0, 2 * np.pi),
        rng.uniform(90, 130) * shrink,
        2300.0,
        rng.uniform(0, 2 * np.pi),
    )
    xs = np.arange(x0 - 800, x1 + 800 + 20, 20.0)
    river = River(
        shapely.LineString(),
        shapely.Polygon(),
        shapely.Polygon(),
        shapely.LineString(),
        shapely.LineString(),
        coef,
    )
    centre = shapely.LineString(np.column_stack([xs, river.y_at(xs)]))
    north = shapely.offset_curve(centre, BANK_OFFSET)
    south = shapely.offset_curve(centre, -BANK_OFFSET)
    ncoords = shapely.get_coordinates(north)
    scoords = shapely.get_coordinates(south)
    if ncoords[0, 0] > ncoords[-1, 0]:
        ncoords = ncoords[::-1]
    if scoords[0, 0] > scoords[-1, 0]:
        scoords = scoords[::-1]
    if ncoords[:, 1].mean() < scoords[:, 1].mean():
        ncoords, scoords = scoords, ncoords
    corridor = shapely.Polygon(np.vstack([ncoords, scoords[::-1]]))
    river.centre = centre
    river.north_bank = shapely.LineString(ncoords)
    river.south_bank = shapely.LineString(scoords)
    river.corridor = corridor
    river.polygon = shapely.intersection(
        shapely.buffer(centre, RIVER_HALF_WIDTH, cap_style="flat"), core
    )
    # -- ring ---------------------------------------------------------------------------------
    ways.add(
        shapely.LineString(shapely.get_coordinates(core.exterior)),
        "trunk",
        "环城路",
        bridge_ok=True,
        kind="ring",
    )
    # -- banks --------------------------------------------------------------------------------
    ways.add(river.north_bank, "secondary", BANK_ROADS[0], kind="bank")
    ways.add(river.south_bank, "secondary", BANK_ROADS[1], kind="bank")
    # -- north-south arterials ----------------------------------------------------------------
    used: set[str] = set()
    extra = list(EXTRA_ARTERIALS)
    ns = _positions(rng, cx, x0, x1, (680, 900), 380)
    n_bridges = max(1, int(round(3 * np.sqrt(scale))))
    ks = [k for k, _ in ns]
    # bridges: the central arterial plus others spread evenly
    order = np.argsort([abs(k) for k in ks], kind="stable")
    cand = np.linspace(0, len(ns) - 1, n_bridges + 2)[1:-1].round().astype(int).tolist()
    bridge_idx = {int(order[0])}
    for c in cand:
        if len(bridge_idx) >= n_bridges:
            break
        if all(abs(c - b) >= 2 for b in bridge_idx):
            bridge_idx.add(c)
    for i, (k, x) in enumerate(ns):
        nm = _arterial_name(NS_ARTERIALS, k, extra, used)
        north_nm, _, south_nm = nm.partition("|")
        hw = "primary" if k % 2 == 0 else "secondary"
        geom = _wavy(
            "ns",
            x,
            y0 - 300,
            y1 + 300,
            rng.uniform(20, 70),
            rng.uniform(2500, 5000),
            rng.uniform(0, 2 * np.pi),
            rng.uniform(-0.04, 0.04),
            cy,
        )
        ways.add(
            geom, hw, north_nm, name_south=south_nm, bridge_ok=i in bridge_idx, kind="arterial"
        )
    # -- east-west arterials (none across the river band) -----------------------------------
    band_lo = float(river.y_at(xs).min()) - BANK_OFFSET - 260
    band_hi = float(river.y_at(xs).max()) + BANK_OFFSET + 260
    ew = _positions(rng, cy, y0, y1, (680, 900), 380)
    for k, y in ew:
        if band_lo < y < band_hi:
            continue
        nm = _arterial_name(EW_ARTERIALS, k, extra, used)
        hw = "primary" if k % 2 == 0 else "secondary"
        geom = _wavy(
            "ew",
            y,
            x0 - 300,
            x1 + 300,
            rng.uniform(20, 70),
            rng.uniform(2500, 5000),
            rng.uniform(0, 2 * np.pi),
            rng.uniform(-0.04, 0.04),
            cx,
        )
        ways.add(geom, hw, nm, kind="arterial")
    pieces = node_ways(ways, core, river)
    faces = shapely.get_parts(shapely.polygonize(list(pieces["geometry"]) + [core.exterior]))
    faces = faces[shapely.area(faces) > 1.0]
    rp = shapely.point_on_surface(faces)
    in_corr = shapely.contains(shapely.buffer(corridor, -1.0), rp)
    return Skeleton(ways, river, core, faces[~in_corr])


def add_local_streets(
    rng: np.random.Generator,
    sk: Skeleton,
    spacing: float = 185.0,
    p_partial: float = 0.15,
    p_oneway: float = 0.10,
) -> None:
    """Local streets per super-block: two jittered families of lines at ~``spacing`` metres."""
    ways = sk.ways
    blocks = sk.superblocks
    env = shapely.oriented_envelope(blocks)
    line_specs: list[tuple[np.ndarray, bool]] = []
    for poly, en in zip(blocks, env, strict=True):
        c = shapely.get_coordinates(en)[:4]
        sides = np.diff(np.vstack([c, c[:1]]), axis=0)
        ang = np.arctan2(sides[:, 1], sides[:, 0])
        ang = (ang + np.pi / 4) % (np.pi / 2) - np.pi / 4  # fold to [-45, 45) degrees
        theta = float(ang[np.argmin(np.abs(ang))])
        cth, sth = np.cos(theta), np.sin(theta)
        p = shapely.get_coordinates(poly)
        ox, oy = p[:, 0].mean(), p[:, 1].mean()
        u = (p[:, 0] - ox) * cth + (p[:, 1] - oy) * sth
        v = -(p[:, 0] - ox) * sth + (p[:, 1] - oy) * cth
        umin, umax, vmin, vmax = u.min(), u.max(), v.min(), v.max()
        s = spacing * rng.uniform(0.9, 1.1)
        na = max(int(round((umax - umin) / s)) - 1, 0)
        nb = max(int(round((vmax - vmin) / s)) - 1, 0)
        ua = umin + (umax - umin) * (np.arange(1, na + 1) / (na + 1)) + rng.normal(0, 0.07 * s, na)
        vb = vmin + (vmax - vmin) * (np.arange(1, nb + 1) / (nb + 1)) + rng.normal(0, 0.07 * s, nb)
        partial_family = rng.integers(0, 2)
        tert_family = rng.integers(0, 2) if shapely.area(poly) > 0.45e6 else -1
        fam_lines = []
        for fam, pos, other, lo, hi in ((0, ua, vb, vmin, vmax), (1, vb, ua, umin, umax)):
            mid = int(np.argmin(np.abs(pos - pos.mean()))) if len(pos) else -1
            for j, q in enumerate(pos):
                a, b = lo - 30, hi + 30
                if fam == partial_family and len(other) and rng.random() < p_partial:
                    cut = other[rng.integers(0, len(other))]
                    if rng.random() < 0.5:
                        b = cut + 10.0
                    else:
                        a = cut - 10.0
                t = np.linspace(a, b, 2)
                if fam == 0:
                    uu, vv = np.full(2, q), t
                else:
                    uu, vv = t, np.full(2, q)
                xy = np.column_stack([ox + uu * cth - vv * sth, oy + uu * sth + vv * cth])
                tertiary = fam == tert_family and j == mid
                fam_lines.append((xy, tertiary))
        clip = shapely.buffer(poly, OVERSHOOT, join_style="mitre")
        for xy, tertiary in fam_lines:
            g = shapely.intersection(shapely.LineString(xy), clip)
            for part in shapely.get_parts(g):
                if part.geom_type != "LineString" or part.length < 40:
                    continue
                line_specs.append((shapely.get_coordinates(part), tertiary))
    names = local_street_names(rng, len(line_specs))
    ow = rng.random(len(line_specs)) < p_oneway
    flip = rng.random(len(line_specs)) < 0.5
    for (xy, tertiary), nm, o, f in zip(line_specs, names, ow, flip):
        hw = "tertiary" if tertiary else "residential"
        oneway = bool(o) and not tertiary
        if oneway and f:
            xy = xy[::-1]
        ways.add(shapely.LineString(xy), hw, nm, oneway=oneway, kind="local")


# --------------------------------------------------------------------------------------------
def _node_keys(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer node keys of coordinates (1 cm grid) and the unique coordinates."""
    q = np.round(xy * 100.0).astype(np.int64)
    uq, inv = np.unique(q, axis=0, return_inverse=True)
    return inv.ravel(), uq / 100.0


def _segments(geoms: np.ndarray, max_len: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consecutive vertex pairs of the (densified) lines, with the index of their line."""
    dense = shapely.segmentize(geoms, max_len)
    xy, idx = shapely.get_coordinates(dense, return_index=True)
    same = idx[1:] == idx[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    ok = np.hypot(*(b - a).T) > 0
    return a[ok], b[ok], idx[:-1][same][ok]


def node_ways(ways: Ways, core: shapely.Polygon, river: River) -> pd.DataFrame:
    """Node all ways; return undirected pieces (way index, geometry in way direction, u/v keys),
    with overshoot stubs, out-of-core pieces and non-bridge river pieces removed."""
    geoms = np.array(ways.geoms, dtype=object)
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(geoms)))
    noded = noded[shapely.length(noded) > 0.01]
    # map each piece to its way through the way's short segments (long lines make poor R-tree
    # entries), and orient it along the way
    seg_a, seg_b, seg_way = _segments(geoms, 60.0)
    seg = shapely.linestrings(np.stack([seg_a, seg_b], axis=1))
    L = shapely.length(noded)
    mid = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    ahead = shapely.line_interpolate_point(noded, np.minimum(L / 2 + 0.25, L))
    behind = shapely.line_interpolate_point(noded, np.maximum(L / 2 - 0.25, 0))
    tree = shapely.STRtree(seg)
    idx = tree.query_nearest(mid, all_matches=False)
    hit = np.empty(len(noded), np.int64)
    hit[idx[0]] = idx[1]
    way = seg_way[hit]
    d_piece = shapely.get_coordinates(ahead) - shapely.get_coordinates(behind)
    d_way = seg_b[hit] - seg_a[hit]
    rev = (d_piece * d_way).sum(axis=1) < 0
    noded[rev] = shapely.reverse(noded[rev])
    # drop pieces outside the core or inside the river corridor (bridges excepted)
    mx, my = shapely.get_x(mid), shapely.get_y(mid)
    in_core = shapely.contains_xy(shapely.buffer(core, 0.5), mx, my)
    inner = shapely.buffer(river.corridor, -0.5)
    in_river = shapely.contains_xy(inner, mx, my)
    bridge_ok = np.asarray(ways.bridge_ok)[way]
    keep = in_core & (~in_river | bridge_ok)
    pieces = pd.DataFrame({"geometry": noded[keep], "way": way[keep], "bridge": in_river[keep]})
    kind = np.asarray(ways.kind)
    for _ in range(4):
        g = pieces["geometry"].to_numpy()
        ends = np.vstack(
            [
                shapely.get_coordinates(shapely.get_point(g, 0)),
                shapely.get_coordinates(shapely.get_point(g, -1)),
            ]
        )
        keys, _ = _node_keys(ends)
        n = len(g)
        u, v = keys[:n], keys[n:]
        deg = np.bincount(np.r_[u, v])
        dangling = (deg[u] == 1) | (deg[v] == 1)
        stub = (
            dangling
            & (shapely.length(g) < STUB_MAX)
            & (kind[pieces["way"].to_numpy()] != "service")
        )
        if not stub.any():
            break
        pieces = pieces[~stub].reset_index(drop=True)
    # keep the largest connected piece of the network
    g = pieces["geometry"].to_numpy()
    ends = np.vstack(
        [
            shapely.get_coordinates(shapely.get_point(g, 0)),
            shapely.get_coordinates(shapely.get_point(g, -1)),
        ]
    )
    keys, uq = _node_keys(ends)
    n = len(g)
    u, v = keys[:n], keys[n:]
    m = sparse.coo_matrix((np.ones(n), (u, v)), shape=(len(uq), len(uq)))
    _, comp = connected_components(m, directed=False)
    big = np.bincount(comp).argmax()
    keep = comp[u] == big
    pieces = pieces[keep].reset_index(drop=True)
    return pieces


def _merge_degree2(pieces: pd.DataFrame, oneway: np.ndarray) -> pd.DataFrame:
    """Merge pieces of one way through nodes where nothing else meets (as osmnx simplifies)."""
    for _ in range(6):
        g = pieces["geometry"].to_numpy()
        n = len(g)
        ends = np.vstack(
            [
                shapely.get_coordinates(shapely.get_point(g, 0)),
                shapely.get_coordinates(shapely.get_point(g, -1)),
            ]
        )
        keys, _ = _node_keys(ends)
        u, v = keys[:n], keys[n:]
        deg = np.bincount(np.r_[u, v])
        # pairs (piece ending at node, piece starting at node) with degree-2 node, same way/bridge
        end_at = pd.DataFrame({"node": v, "a": np.arange(n)})
        start_at = pd.DataFrame({"node": u, "b": np.arange(n)})
        pr = end_at.merge(start_at, on="node")
        pr = pr[(deg[pr["node"].to_numpy()] == 2) & (pr["a"] != pr["b"])]
        w = pieces["way"].to_numpy()
        br = pieces["bridge"].to_numpy()
        a_, b_ = pr["a"].to_numpy(), pr["b"].to_numpy()
        ok = (w[a_] == w[b_]) & (br[a_] == br[b_]) & (u[a_] != v[b_])
        a_, b_ = a_[ok], b_[ok]
        if len(a_) == 0:
            break
        # merge disjoint pairs only (a piece takes part in at most one merge per round)
        used = np.zeros(n, bool)
        sel = []
        for x, y in zip(a_, b_):
            if not used[x] and not used[y]:
                used[x] = used[y] = True
                sel.append((x, y))
        sel_a = np.array([s[0] for s in sel])
        sel_b = np.array([s[1] for s in sel])
        merged = [
            shapely.LineString(
                np.vstack([shapely.get_coordinates(g[x]), shapely.get_coordinates(g[y])[1:]])
            )
            for x, y in sel
        ]
        g = g.copy()
        g[sel_a] = merged
        keep = np.ones(n, bool)
        keep[sel_b] = False
        pieces = pieces.assign(geometry=g)[keep].reset_index(drop=True)
    return pieces


def make_graph(
    ways: Ways, pieces: pd.DataFrame, river: River
) -> tuple[pd.DataFrame, pd.DataFrame, Ways]:
    """Directed osmnx-style edges and nodes from pieces; one-way ways that break strong
    connectivity are made two-way. Returns (nodes, edges, ways)."""
    oneway = np.asarray(ways.oneway).copy()
    pieces = _merge_degree2(pieces, oneway)
    g = pieces["geometry"].to_numpy()
    n = len(g)
    ends = np.vstack(
        [
            shapely.get_coordinates(shapely.get_point(g, 0)),
            shapely.get_coordinates(shapely.get_point(g, -1)),
        ]
    )
    keys, uq = _node_keys(ends)
    # node ids by position (south to north, west to east): stable for a given layout
    order = np.lexsort((uq[:, 0], uq[:, 1]))
    node_id = np.empty(len(uq), np.int64)
    node_id[order] = np.arange(1, len(uq) + 1)
    u, v = keys[:n], keys[n:]
    way = pieces["way"].to_numpy()
    for _ in range(20):
        ow = oneway[way]
        src = np.r_[u, v[~ow]]
        dst = np.r_[v, u[~ow]]
        m = sparse.coo_matrix((np.ones(len(src)), (src, dst)), shape=(len(uq), len(uq)))
        ncomp, comp = connected_components(m, directed=True, connection="strong")
        if ncomp == 1:
            break
        big = np.bincount(comp).argmax()
        bad_nodes = comp != big
        bad = ow & (bad_nodes[u] | bad_nodes[v])
        if not bad.any():
            break
        oneway[np.unique(way[bad])] = False
    ways.oneway = list(oneway)
    ow = oneway[way]
    hw = np.asarray(ways.highway, dtype=object)[way]
    nm = np.asarray(ways.name, dtype=object)[way].copy()
    ns = np.asarray(ways.name_south, dtype=object)[way]
    mid = shapely.line_interpolate_point(g, 0.5, normalized=True)
    mx, my = shapely.get_x(mid), shapely.get_y(mid)
    south = (ns != "") & (my < river.y_at(mx))
    nm[south] = ns[south]
    kind = np.asarray(ways.kind, dtype=object)[way]
    ring = kind == "ring"
    if ring.any():
        # name the ring by side
        cxm, cym = np.mean(uq[:, 0]), np.mean(uq[:, 1])
        hx = (uq[:, 0].max() - uq[:, 0].min()) / 2
        hy = (uq[:, 1].max() - uq[:, 1].min()) / 2
        dx, dy = (mx - cxm) / hx, (my - cym) / hy
        side = np.where(
            np.abs(dx) > np.abs(dy), np.where(dx > 0, "E", "W"), np.where(dy > 0, "N", "S")
        )
        nm[ring] = [RING_ROADS[s] for s in side[ring]]
    br = pieces["bridge"].to_numpy()
    length = shapely.length(g)
    rec_u = np.r_[u, v[~ow]]
    rec_v = np.r_[v, u[~ow]]
    rec_p = np.r_[np.arange(n), np.arange(n)[~ow]]
    rec_rev = np.r_[np.zeros(n, bool), np.ones((~ow).sum(), bool)]
    geoms = g[rec_p].copy()
    geoms[rec_rev] = shapely.reverse(geoms[rec_rev])
    e = pd.DataFrame(
        {
            "u": node_id[rec_u],
            "v": node_id[rec_v],
            "piece": rec_p,
            "osmid": [str(w + 1) for w in way[rec_p]],
            "highway": hw[rec_p],
            "name": nm[rec_p],
            "oneway": ow[rec_p],
            "maxspeed": [MAXSPEED[h] for h in hw[rec_p]],
            "bridge": br[rec_p],
            "length_m": length[rec_p],
            "geometry": geoms,
            "way": way[rec_p],
        }
    )
    e = e.iloc[
        np.lexsort((e["piece"].to_numpy(), e["v"].to_numpy(), e["u"].to_numpy()))
    ].reset_index(drop=True)
    e.insert(0, "key", e.groupby(["u", "v"]).cumcount().astype(np.int64))
    e.insert(0, "edge_id", np.arange(1, len(e) + 1, dtype=np.int64))
    deg = np.bincount(np.r_[u, v], minlength=len(uq))
    nodes = pd.DataFrame({"node_id": node_id, "x": uq[:, 0], "y": uq[:, 1], "street_count": deg})
    nodes = nodes.sort_values("node_id", ignore_index=True)
    return nodes, e, ways
