"""Cameras and patrol units of the demo district."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.demo._common import bearing_deg, random_points_in
from geo.schema import MAIN_HIGHWAYS

_CN_NUM = "一二三四五六七八九十"


def _farthest(points: np.ndarray, k: int, first: int = 0) -> np.ndarray:
    k = min(k, len(points))
    sel = [first]
    d = np.hypot(points[:, 0] - points[first, 0], points[:, 1] - points[first, 1])
    for _ in range(k - 1):
        j = int(np.argmax(d))
        sel.append(j)
        d = np.minimum(d, np.hypot(points[:, 0] - points[j, 0], points[:, 1] - points[j, 1]))
    return np.array(sel, dtype=np.int64)


def main_crossings(nodes: pd.DataFrame, edges: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray]]:
    """Nodes where at least two main-road pieces meet, and the outgoing unit directions of the main
    pieces at each (from the node along the street)."""
    main = edges["highway"].isin(MAIN_HIGHWAYS).to_numpy()
    e = edges[main]
    # outgoing directions: for every main edge, the first segment from its u node
    g = e.geometry.to_numpy() if hasattr(e, "geometry") else e["geometry"].to_numpy()
    p0 = shapely.get_coordinates(shapely.get_point(g, 0))
    p1 = shapely.get_coordinates(
        shapely.line_interpolate_point(g, np.minimum(15.0, shapely.length(g)))
    )
    d = p1 - p0
    d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
    # two-way pieces give both directions; one-way main roads are rare, use v too
    q0 = shapely.get_coordinates(shapely.get_point(g, -1))
    q1 = shapely.get_coordinates(
        shapely.line_interpolate_point(g, np.maximum(shapely.length(g) - 15.0, 0))
    )
    dv = q1 - q0
    dv /= np.maximum(np.hypot(dv[:, 0], dv[:, 1]), 1e-9)[:, None]
    node = np.r_[e["u"].to_numpy(), e["v"].to_numpy()]
    dirs = np.vstack([d, dv])
    # unique directions per node (two-way edges appear twice)
    key = np.round(np.degrees(np.arctan2(dirs[:, 1], dirs[:, 0])) / 5).astype(int)
    df = pd.DataFrame({"node": node, "key": key, "dx": dirs[:, 0], "dy": dirs[:, 1]})
    df = df.drop_duplicates(["node", "key"]).sort_values(["node", "key"])
    cnt = df.groupby("node").size()
    ids = cnt.index[cnt >= 3].to_numpy()
    sub = df[df["node"].isin(ids)]
    cut = np.searchsorted(sub["node"].to_numpy(), ids[1:])
    return ids, np.split(sub[["dx", "dy"]].to_numpy(), cut)


def build_cameras(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    nb: pd.DataFrame,
    entrances: np.ndarray,
    gate_dir: np.ndarray,
    yards: np.ndarray,
    scale: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    rows: list[pd.DataFrame] = []
    # -- Skynet poles at many (not all) main crossings, with gaps ----------------------------
    ids, dirs = main_crossings(nodes, edges)
    xy = nodes.set_index("node_id").loc[ids, ["x", "y"]].to_numpy()
    n_gap = max(1, int(round(4 * scale)))
    gap_c = xy[rng.choice(len(xy), size=min(n_gap, len(xy)), replace=False)]
    gap_r = rng.uniform(500, 800, len(gap_c))
    in_gap = (
        np.hypot(xy[:, None, 0] - gap_c[None, :, 0], xy[:, None, 1] - gap_c[None, :, 1]) < gap_r
    ).any(1)
    chosen = np.flatnonzero(~in_gap & (rng.random(len(xy)) < 0.75))
    px, py, pb = [], [], []
    for i in chosen:
        dd = dirs[i]
        n_cam = int(min(len(dd), rng.choice([1, 2, 3], p=[0.25, 0.45, 0.3])))
        pick = rng.choice(len(dd), size=n_cam, replace=False)
        for j in pick:
            d = dd[j]
            nrm = np.array([d[1], -d[0]])  # right-hand side of the outgoing direction
            p = xy[i] + d * 8.0 + nrm * 6.0
            px.append(p[0])
            py.append(p[1])
            pb.append(float(bearing_deg(np.array([d[0]]), np.array([d[1]]))[0]))
    rows.append(
        pd.DataFrame(
            {
                "kind": "skynet_pole",
                "x": px,
                "y": py,
                "bearing_deg": pb,
                "fov_deg": 90.0,
                "range_m": 80.0,
                "owner": "public_security",
                "neighborhood_id": None,
            }
        )
    )
    # -- speed cameras on long trunk/primary pieces ------------------------------------------
    fast = edges[edges["highway"].isin(["trunk", "primary"]) & (edges["length_m"] > 250)]
    n_speed = max(1, int(round(6 * scale)))
    pick = np.sort(rng.choice(len(fast), size=min(n_speed, len(fast)), replace=False))
    g = fast.geometry.to_numpy()[pick]
    L = shapely.length(g)
    a = shapely.get_coordinates(shapely.line_interpolate_point(g, L * 0.5))
    b = shapely.get_coordinates(shapely.line_interpolate_point(g, L * 0.5 + 1.0))
    d = b - a
    d /= np.hypot(d[:, 0], d[:, 1])[:, None]
    pos = a + np.column_stack([d[:, 1], -d[:, 0]]) * 7.0
    rows.append(
        pd.DataFrame(
            {
                "kind": "speed",
                "x": pos[:, 0],
                "y": pos[:, 1],
                "bearing_deg": bearing_deg(-d[:, 0], -d[:, 1]),
                "fov_deg": 30.0,
                "range_m": 150.0,
                "owner": "public_security",
                "neighborhood_id": None,
            }
        )
    )
    # -- neighborhood cameras: exactly round(853 * scale) --------------------------------------
    total = int(round(853 * scale))
    n = len(nb)
    polys = nb["geometry"].to_numpy()
    perim = shapely.length(shapely.boundary(polys))
    model = nb["model_kind"].to_numpy() != ""
    geo_idx = np.flatnonzero(nb["model_kind"].to_numpy() == "unit_self_governance")
    geo_idx = geo_idx[:1]  # the geological survey compound is first among them
    # a quarter of the compounds (never a model one) have no camera at all
    none = np.zeros(n, bool)
    cand = np.flatnonzero(~model)
    none[rng.choice(cand, size=min(len(cand), int(round(0.25 * n))), replace=False)] = True
    want = (perim / 90.0 + nb["households"].to_numpy() / 500.0) * np.exp(rng.normal(0, 0.4, n))
    want[none | model] = 0.0
    # model neighborhoods first: the gate plus one camera per ~80 m of fence; the geological survey
    # compound (technical defence, "full HD coverage") one per 30 m of fence and two domes
    fixed = np.where(model, np.ceil(perim / 80.0).astype(int) + 2, 0)
    fixed[geo_idx] = np.ceil(perim[geo_idx] / 30.0).astype(int) + 2
    rest = total - fixed.sum()
    raw = want / want.sum() * rest
    cnt = np.floor(raw).astype(int)
    has = want > 0
    cnt[has] = np.maximum(cnt[has], 1)
    diff = rest - cnt.sum()
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    order = order[has[order]]
    i = 0
    while diff != 0 and len(order):
        j = order[i % len(order)]
        if diff > 0:
            cnt[j] += 1
            diff -= 1
        elif cnt[j] > 1:
            cnt[j] -= 1
            diff += 1
        i += 1
        if i > 20 * len(order) + abs(diff) * 20:
            break
    cnt = cnt + fixed
    # placement: two at the gate (in and out), the rest along the fence or as domes inside
    nb_of = np.repeat(np.arange(n), cnt)
    rank = np.arange(len(nb_of)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    kind = np.where(rank < 2, "bullet", np.where(rng.random(len(nb_of)) < 0.3, "dome", "bullet"))
    is_geo = np.isin(nb_of, geo_idx)
    # the geological compound: fence every ~30 m all round, two domes in the yard
    kind[is_geo] = np.where(rank[is_geo] < cnt[nb_of[is_geo]] - 2, "bullet", "dome")
    x = np.zeros(len(nb_of))
    y = np.zeros(len(nb_of))
    brg = np.zeros(len(nb_of))
    gate = (rank < 2) & ~is_geo
    gp = entrances[nb_of[gate]] + gate_dir[nb_of[gate]] * 16.0
    x[gate], y[gate] = gp[:, 0], gp[:, 1]
    inward = rank[gate] == 0
    gd = gate_dir[nb_of[gate]]
    brg[gate] = np.where(inward, bearing_deg(gd[:, 0], gd[:, 1]), bearing_deg(-gd[:, 0], -gd[:, 1]))
    fence = (kind == "bullet") & ~gate
    ring = shapely.boundary(shapely.buffer(polys, -2.0))
    fi = np.flatnonzero(fence)
    n_f = np.bincount(nb_of[fi], minlength=n)
    # position along the fence: evenly spaced, random phase per compound
    phase = rng.random(n)
    if len(fi):
        order_f = np.argsort(nb_of[fi], kind="stable")
        fi = fi[order_f]
        k_f = np.arange(len(fi)) - np.repeat(np.cumsum(n_f) - n_f, n_f)
        frac = (phase[nb_of[fi]] + k_f / np.maximum(n_f[nb_of[fi]], 1)) % 1.0
        rr = ring[nb_of[fi]]
        Lr = shapely.length(rr)
        p0 = shapely.get_coordinates(shapely.line_interpolate_point(rr, frac * Lr))
        p1 = shapely.get_coordinates(
            shapely.line_interpolate_point(rr, np.minimum(frac * Lr + 2.0, Lr))
        )
        dd = p1 - p0
        x[fi], y[fi] = p0[:, 0], p0[:, 1]
        brg[fi] = bearing_deg(dd[:, 0], dd[:, 1])
    di = np.flatnonzero(kind == "dome")
    if len(di):
        p = random_points_in(shapely.buffer(yards[nb_of[di]], -3.0), rng)
        bad = np.isnan(p[:, 0])
        if bad.any():
            p[bad] = shapely.get_coordinates(shapely.point_on_surface(polys[nb_of[di][bad]]))
        x[di], y[di] = p[:, 0], p[:, 1]
        brg[di] = 0.0
    owner = np.where(nb["kind"].to_numpy()[nb_of] == "unit_compound", "unit", "neighborhood")
    rows.append(
        pd.DataFrame(
            {
                "kind": kind,
                "x": x,
                "y": y,
                "bearing_deg": np.round(brg, 1),
                "fov_deg": np.where(kind == "dome", 360.0, 60.0),
                "range_m": np.where(kind == "dome", 30.0, 50.0),
                "owner": owner,
                "neighborhood_id": nb["neighborhood_id"].to_numpy()[nb_of],
            }
        )
    )
    cams = pd.concat(rows, ignore_index=True)
    prefix = cams["kind"].map({"skynet_pole": "SK", "speed": "SP", "bullet": "NB", "dome": "NB"})
    num = cams.groupby(prefix).cumcount() + 1
    cams.insert(0, "camera_id", [f"{p}{i:05d}" for p, i in zip(prefix, num)])
    cams["bearing_deg"] = np.mod(np.round(cams["bearing_deg"].astype(float), 1), 360.0)
    return cams


def build_units(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    stations: pd.DataFrame,
    communities: pd.DataFrame,
    nb: pd.DataFrame,
    cams: pd.DataFrame,
    scale: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    recs: list[dict] = []
    # brigade vehicles at main crossings spread over the core, starting near the centre
    ids, _ = main_crossings(nodes, edges)
    xy = nodes.set_index("node_id").loc[ids, ["x", "y"]].to_numpy()
    ctr = xy.mean(axis=0)
    first = int(np.argmin(np.hypot(xy[:, 0] - ctr[0], xy[:, 1] - ctr[1])))
    n_bv = max(1, int(round(12 * scale)))
    for i, j in enumerate(_farthest(xy, n_bv, first)):
        recs.append(
            {
                "kind": "brigade_vehicle",
                "name": f"特巡警大队巡逻车{i + 1:02d}",
                "name_en": f"Patrol brigade car {i + 1:02d}",
                "station_id": None,
                "community_id": None,
                "officers": 2,
                "auxiliaries": 1,
                "volunteers": 0,
                "mode": "car",
                "x": xy[j, 0] + 10.0,
                "y": xy[j, 1] + 10.0,
            }
        )
    # station teams
    for _, s in stations.iterrows():
        k = int(rng.integers(2, 4))
        for t in range(k):
            mode = "car" if t == 0 else str(rng.choice(["car", "ebike"]))
            recs.append(
                {
                    "kind": "station_team",
                    "name": f"{s['name']}巡逻{_CN_NUM[t]}组",
                    "name_en": f"{s['name_en']} patrol team {t + 1}",
                    "station_id": s["station_id"],
                    "community_id": None,
                    "officers": 2,
                    "auxiliaries": int(rng.integers(1, 3)),
                    "volunteers": 0,
                    "mode": mode,
                    "x": s["site_x"],
                    "y": s["site_y"],
                }
            )
    # "1+2+N" grid teams: one per community, two where many people live; 玫瑰城 hosts the
    # template post
    rose = nb.index[nb["name"] == "玫瑰城"]
    nb_pts = random_points_in(shapely.buffer(nb["geometry"].to_numpy(), -5.0), rng)
    bad = np.isnan(nb_pts[:, 0])
    nb_pts[bad] = shapely.get_coordinates(shapely.point_on_surface(nb["geometry"].to_numpy()[bad]))
    hh_by_c = nb.groupby("community_id")["households"].sum()
    for _, c in communities.iterrows():
        k = 1 + int(hh_by_c.get(c["community_id"], 0) > 6000)
        for t in range(k):
            x, y = c["office_x"], c["office_y"]
            name = f"{c['name']}1+2+N网格巡逻{_CN_NUM[t]}队"
            if t == 1:
                cand = np.flatnonzero(nb["community_id"].to_numpy() == c["community_id"])
                j = cand[np.argmax(nb["households"].to_numpy()[cand])]
                x, y = nb_pts[j]
            recs.append(
                {
                    "kind": "grid_team",
                    "name": name,
                    "name_en": f"{c['name_en']} 1+2+N grid team {t + 1}",
                    "station_id": c["station_id"],
                    "community_id": c["community_id"],
                    "officers": 1,
                    "auxiliaries": 2,
                    "volunteers": int(rng.integers(3, 9)),
                    "mode": str(rng.choice(["foot", "ebike"])),
                    "x": x,
                    "y": y,
                }
            )
    if len(rose):
        j = int(rose[0])
        r = nb.iloc[j]
        recs.append(
            {
                "kind": "grid_team",
                "name": "玫瑰城1+2+N巡逻岗",
                "name_en": f"{r['name_en']} 1+2+N post",
                "station_id": r["station_id"],
                "community_id": r["community_id"],
                "officers": 1,
                "auxiliaries": 2,
                "volunteers": 6,
                "mode": "foot",
                "x": nb_pts[j, 0],
                "y": nb_pts[j, 1],
            }
        )
    # volunteer teams: exactly round(373 * scale), round(3120 * scale) volunteers in all
    n_vt = max(1, int(round(373 * scale)))
    n_vol = max(3 * n_vt, int(round(3120 * scale)))
    hh = nb["households"].to_numpy(float)
    host = np.sort(rng.choice(len(nb), size=n_vt, replace=True, p=hh / hh.sum()))
    share = rng.uniform(0.5, 1.5, n_vt)
    vols = 3 + rng.multinomial(n_vol - 3 * n_vt, share / share.sum())
    seen: dict[int, int] = {}
    off = rng.normal(0, 15, (n_vt, 2))
    for i, j in enumerate(host):
        seen[j] = seen.get(j, 0) + 1
        r = nb.iloc[j]
        suffix = "" if seen[j] == 1 else f"{_CN_NUM[min(seen[j], 10) - 1]}队"
        p = nb_pts[j] + off[i]
        if not shapely.contains_xy(r["geometry"], p[0], p[1]):
            p = nb_pts[j]
        recs.append(
            {
                "kind": "volunteer_team",
                "name": f"{r['name']}义务巡逻队{suffix}",
                "name_en": f"{r['name_en']} volunteer patrol" + (f" {seen[j]}" if seen[j] > 1 else ""),
                "station_id": r["station_id"],
                "community_id": r["community_id"],
                "officers": 0,
                "auxiliaries": 0,
                "volunteers": int(vols[i]),
                "mode": "foot",
                "x": p[0],
                "y": p[1],
            }
        )
    # Skynet guards: round(80 * scale) units of one guard each (counted as auxiliaries=1),
    # based at Skynet poles spread over the core
    n_g = max(1, int(round(80 * scale)))
    sk = cams[cams["kind"] == "skynet_pole"][["x", "y"]].to_numpy()
    base = sk if len(sk) >= n_g else xy
    for i, j in enumerate(np.sort(_farthest(base, n_g, 0))):
        recs.append(
            {
                "kind": "skynet_guard",
                "name": f"天网巡防员{i + 1:03d}",
                "name_en": f"Skynet guard {i + 1:03d}",
                "station_id": None,
                "community_id": None,
                "officers": 0,
                "auxiliaries": 1,
                "volunteers": 0,
                "mode": "foot",
                "x": base[j, 0] - 3.0,
                "y": base[j, 1] - 3.0,
            }
        )
    units = pd.DataFrame.from_records(recs)
    units.insert(0, "unit_id", [f"U{i + 1:04d}" for i in range(len(units))])
    for c in ("officers", "auxiliaries", "volunteers"):
        units[c] = units[c].astype(np.int64)
    return units


# -- buildings ---------------------------------------------------------------------------------
#: Slab footprints per compound kind: (length range m, depth m, gap between rows m, gap in a row m,
#: storeys range).
_SLABS = {
    "enclosed": ((48.0, 66.0), 14.0, 28.0, 12.0, (11, 18)),
    "open": ((36.0, 50.0), 12.0, 22.0, 10.0, (5, 7)),
    "unit_compound": ((28.0, 40.0), 11.0, 18.0, 10.0, (4, 6)),
}


def build_buildings(nb: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows of residential slabs inside each compound (for camera line of sight and maps).

    Returns the buildings table (with ``geometry``) and, per compound, its yard: the compound set
    back from its fence minus its buildings (where domes and people are)."""
    polys = nb["geometry"].to_numpy()
    n = len(polys)
    inner = shapely.buffer(polys, -8.0, join_style="mitre")
    env = shapely.oriented_envelope(polys)
    c = shapely.get_coordinates(env).reshape(n, -1, 2)[:, :4]
    # the two sides of the envelope at its first corner: u along the longer one
    s1, s2 = c[:, 1] - c[:, 0], c[:, 3] - c[:, 0]
    l1, l2 = np.hypot(s1[:, 0], s1[:, 1]), np.hypot(s2[:, 0], s2[:, 1])
    swap = l1 < l2
    u = np.where(swap[:, None], s2, s1)
    v = np.where(swap[:, None], s1, s2)
    lu, lv = np.maximum(l1, l2), np.minimum(l1, l2)
    u = u / np.maximum(lu, 1e-9)[:, None]
    v = v / np.maximum(lv, 1e-9)[:, None]
    origin = c[:, 0]
    kinds = nb["kind"].to_numpy()
    length = np.empty(n)
    depth = np.empty(n)
    gap_v = np.empty(n)
    gap_u = np.empty(n)
    lv_lo = np.empty(n, int)
    lv_hi = np.empty(n, int)
    for k, ((a, b), d, gv, gu, (s_lo, s_hi)) in _SLABS.items():
        m = kinds == k
        length[m] = rng.uniform(a, b, m.sum())
        depth[m], gap_v[m], gap_u[m], lv_lo[m], lv_hi[m] = d, gv, gu, s_lo, s_hi
    pitch_u, pitch_v = length + gap_u, depth + gap_v
    nu = np.maximum(np.floor((lu - 16.0 + gap_u) / pitch_u), 0).astype(int)
    nv = np.maximum(np.floor((lv - 16.0 + gap_v) / pitch_v), 0).astype(int)
    cnt = nu * nv
    owner = np.repeat(np.arange(n), cnt)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    iu, iv = k % nu[owner], k // nu[owner]
    # centre the grid of slabs in the envelope
    off_u = (lu - (nu * pitch_u - gap_u)) / 2
    off_v = (lv - (nv * pitch_v - gap_v)) / 2
    a_u = off_u[owner] + iu * pitch_u[owner]
    a_v = off_v[owner] + iv * pitch_v[owner]
    o, uu, vv = origin[owner], u[owner], v[owner]
    L, D = length[owner][:, None], depth[owner][:, None]
    p0 = o + uu * a_u[:, None] + vv * a_v[:, None]
    ring = np.stack([p0, p0 + uu * L, p0 + uu * L + vv * D, p0 + vv * D, p0], axis=1)
    rects = shapely.polygons(ring)
    ok = shapely.within(rects, inner[owner])
    rects, owner = rects[ok], owner[ok]
    storeys = rng.integers(lv_lo[owner], lv_hi[owner] + 1)
    num = np.arange(len(owner)) - np.searchsorted(owner, owner)  # running number per compound
    names = nb["name"].to_numpy()[owner]
    table = pd.DataFrame(
        {
            "osm_id": pd.array([pd.NA] * len(owner), dtype="Int64"),
            "osm_type": None,
            "building": np.where(kinds[owner] == "unit_compound", "dormitory", "apartments"),
            "name": [f"{nm}{i + 1}栋" for nm, i in zip(names, num, strict=True)],
            "levels": storeys.astype(float),
            "neighborhood_id": nb["neighborhood_id"].to_numpy()[owner],
            "geometry": rects,
        }
    )
    yard = inner.copy()
    if len(owner):
        idx, inv = np.unique(owner, return_inverse=True)
        blocks = shapely.multipolygons(rects, indices=inv)
        yard[idx] = shapely.difference(inner[idx], blocks)
    return table, yard
