"""Areas of the demo district: street blocks (faces), stations, communities, compounds, sub-zones.

Everything is a union of *faces*: the polygons cut out of the core by the road centre-lines, the
river's centre-line and a few extra cut lines that split over-large faces. Faces form an exact
coverage (one GEOS polygonize), so stations, communities and sub-zones built from them partition the
core without gaps or overlaps and their borders run along streets and the river.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geo.demo._common import lloyd, make_contiguous, polygon_adjacency
from geo.demo._names import (
    LONGZHOU,
    NAMED_NEIGHBORHOODS,
    community_names,
    neighborhood_names,
    station_names,
)
from geo.demo._roads import River, Ways

SUBZONES_PER_80KM2 = 1979
CORE_AREA_SCALE1 = 80e6


@dataclass
class Faces:
    polys: np.ndarray
    area: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    in_river: np.ndarray  # face lies in the river corridor
    adj: sparse.csr_matrix


def _cut_lines(polys: np.ndarray, k: np.ndarray) -> list:
    """Lines cutting each polygon into ``k`` parts across its long axis (ends overshoot 0.5 m)."""
    env = shapely.oriented_envelope(polys)
    c = shapely.get_coordinates(env).reshape(len(polys), -1, 2)[:, :4]
    s1, s2 = c[:, 1] - c[:, 0], c[:, 2] - c[:, 1]
    l1, l2 = np.hypot(s1[:, 0], s1[:, 1]), np.hypot(s2[:, 0], s2[:, 1])
    swap = l1 < l2
    long = np.where(swap[:, None], s2, s1)
    L, Wd = np.maximum(l1, l2), np.minimum(l1, l2)
    d = long / L[:, None]
    nrm = np.column_stack([-d[:, 1], d[:, 0]])
    ctr = c.mean(axis=1)
    owner = np.repeat(np.arange(len(polys)), k - 1)
    i = np.arange(len(owner)) - np.repeat(np.cumsum(k - 1) - (k - 1), k - 1) + 1
    p = ctr[owner] + d[owner] * ((i / k[owner] - 0.5) * L[owner])[:, None]
    half = (Wd[owner] + 50)[:, None]
    seg = shapely.linestrings(np.stack([p - nrm[owner] * half, p + nrm[owner] * half], axis=1))
    clip = shapely.buffer(polys, 0.5, join_style="mitre")
    out = shapely.get_parts(shapely.intersection(seg, clip[owner]))
    keep = (shapely.get_type_id(out) == 1) & (shapely.length(out) > 1)
    return list(out[keep])


def build_faces(pieces: pd.DataFrame, core: shapely.Polygon, river: River, n_target: int) -> Faces:
    """Faces of the road network, with over-large faces split so there are at least ``n_target``."""
    lines = list(pieces["geometry"]) + [shapely.LineString(shapely.get_coordinates(core.exterior))]
    rc = shapely.intersection(river.centre, shapely.buffer(core, 1.0))
    lines += [g for g in shapely.get_parts(rc) if g.geom_type == "LineString" and g.length > 0]
    noded = shapely.node(shapely.multilinestrings(lines))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.area(faces) > 1.0]
    target_area = core.area / n_target
    extra: list = []
    for _ in range(4):
        area = shapely.area(faces)
        k = np.where(area > 2.2 * target_area, np.round(area / target_area).astype(int), 1)
        short = n_target - (len(faces) + int((k - 1).sum()))
        if short > 0:  # not enough faces yet: cut the largest remaining ones in two as well
            order = np.argsort(-area, kind="stable")
            cand = order[k[order] == 1][:short]
            k[cand] = 2
        if (k > 1).sum() == 0:
            break
        extra += _cut_lines(faces[k > 1], k[k > 1])
        noded = shapely.node(shapely.multilinestrings(lines + extra))
        faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
        faces = faces[shapely.area(faces) > 1.0]
        if len(faces) >= n_target and shapely.area(faces).max() <= 2.2 * target_area * 1.5:
            break
    faces = shapely.normalize(faces)
    rp = shapely.point_on_surface(faces)
    in_river = shapely.contains(shapely.buffer(river.corridor, -1.0), rp)
    cen = shapely.centroid(faces)
    # stable order: by position
    order = np.lexsort((np.round(shapely.get_x(cen), 1), np.round(shapely.get_y(cen), 1)))
    faces, cen, in_river = faces[order], cen[order], in_river[order]
    return Faces(
        faces,
        shapely.area(faces),
        shapely.get_x(cen),
        shapely.get_y(cen),
        in_river,
        polygon_adjacency(faces),
    )


def _way_point(ways: Ways, a: str, b: str) -> np.ndarray | None:
    ga = [g for g, n in zip(ways.geoms, ways.name) if n == a]
    gb = [g for g, n in zip(ways.geoms, ways.name) if n == b]
    if not ga or not gb:
        return None
    x = shapely.intersection(ga[0], gb[0])
    if x.is_empty:
        return None
    return shapely.get_coordinates(x)[0]


@dataclass
class Areas:
    station_of_face: np.ndarray
    community_of_face: np.ndarray
    stations: pd.DataFrame  # station_id, name, name_en, site_x, site_y, geometry
    communities: pd.DataFrame


def _dissolve(polys: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    for i in range(n):
        grp = polys[order[bounds[i] : bounds[i + 1]]]
        out[i] = grp[0] if len(grp) == 1 else shapely.coverage_union_all(grp)
    return out


def _site_near(
    pt: np.ndarray,
    region_faces: np.ndarray,
    faces: Faces,
    rng: np.random.Generator,
    inset: float = 12.0,
) -> np.ndarray:
    """A building site inside the face of ``region_faces`` nearest ``pt``, just off the road."""
    d = np.hypot(faces.cx[region_faces] - pt[0], faces.cy[region_faces] - pt[1])
    f = region_faces[np.argmin(d)]
    poly = faces.polys[f]
    inner = shapely.buffer(poly, -inset)
    if inner.is_empty:
        inner = poly
    q = shapely.Point(pt)
    if shapely.contains(inner, q):
        return np.asarray(pt, float)
    return shapely.get_coordinates(shapely.shortest_line(inner, q))[0]


def assign_areas(
    faces: Faces,
    ways: Ways,
    river: River,
    core: shapely.Polygon,
    cx: float,
    cy: float,
    scale: float,
    rng: np.random.Generator,
) -> Areas:
    n_st = max(3, int(round(9 * scale)))
    n_cm = max(n_st * 2, int(round(40 * scale)))
    pts = np.column_stack([faces.cx, faces.cy])
    # named station seeds at named crossings (fixed offsets when a road is absent at small scales)
    fixed = []
    for a, b, off in (
        ("竹山路", "北湖路", (-780, 780)),
        ("抱石路", "劳动路", (780, 0)),
        ("长青路", "胜利路", (2340, -780)),
    ):
        p = _way_point(ways, a, b)
        if p is None or not core.contains(shapely.Point(p)):
            x0, y0, x1, y1 = core.bounds
            p = np.array(
                [
                    np.clip(cx + off[0] * np.sqrt(scale), x0 + 300, x1 - 300),
                    np.clip(cy + off[1] * np.sqrt(scale), y0 + 300, y1 - 300),
                ]
            )
        fixed.append(p)
    fixed = np.array(fixed)
    # remaining seeds: farthest-point sampling over face centroids from the fixed ones
    seeds = list(fixed)
    dmin = np.min(
        np.hypot(pts[:, None, 0] - fixed[None, :, 0], pts[:, None, 1] - fixed[None, :, 1]), axis=1
    )
    for _ in range(n_st - 3):
        j = int(np.argmax(dmin))
        seeds.append(pts[j])
        dmin = np.minimum(dmin, np.hypot(pts[:, 0] - pts[j, 0], pts[:, 1] - pts[j, 1]))
    labels, seeds_arr = lloyd(pts, faces.area, np.array(seeds), fixed=3, iters=15)
    labels = make_contiguous(labels, faces.adj, faces.area)
    # stations: order so that the named ones come first (S01..S03), the others by position
    # station sites
    st_rows = []
    for s in range(n_st):
        region = np.flatnonzero(labels == s)
        anchor = seeds_arr[s] if s >= 3 else fixed[s]
        site = _site_near(anchor, region, faces, rng)
        st_rows.append((s, site))
    # communities inside stations: counts proportional to area, at least 2 each
    st_area = np.bincount(labels, weights=faces.area, minlength=n_st)
    quota = np.maximum(2, np.floor(n_cm * st_area / st_area.sum())).astype(int)
    rem = n_cm * st_area / st_area.sum() - np.floor(n_cm * st_area / st_area.sum())
    for i in np.argsort(-rem, kind="stable"):
        if quota.sum() >= n_cm:
            break
        quota[i] += 1
    comm = np.full(len(pts), -1)
    comm_station = []
    base = 0
    for s in range(n_st):
        region = np.flatnonzero(labels == s)
        k = int(min(quota[s], len(region)))
        rp = pts[region]
        # farthest-point initial seeds from the station site
        site = st_rows[s][1]
        d = np.hypot(rp[:, 0] - site[0], rp[:, 1] - site[1])
        init = [int(np.argmin(d))]
        dm = np.hypot(rp[:, 0] - rp[init[0], 0], rp[:, 1] - rp[init[0], 1])
        for _ in range(k - 1):
            j = int(np.argmax(dm))
            init.append(j)
            dm = np.minimum(dm, np.hypot(rp[:, 0] - rp[j, 0], rp[:, 1] - rp[j, 1]))
        lab, _ = lloyd(rp, faces.area[region], rp[init], iters=12)
        comm[region] = base + lab
        comm_station += [s] * k
        base += k
    # contiguity of communities within stations
    coo = faces.adj.tocoo()
    same = labels[coo.row] == labels[coo.col]
    adj_st = sparse.csr_matrix(
        (coo.data[same], (coo.row[same], coo.col[same])), shape=faces.adj.shape
    )
    comm = make_contiguous(comm, adj_st, faces.area)
    # drop empty community labels
    used_c, comm = np.unique(comm, return_inverse=True)
    comm_station = np.asarray(comm_station)[used_c]
    n_cm = len(used_c)
    # -- tables -----------------------------------------------------------------------------
    names = station_names(n_st)
    # direction-named stations go where their name says (城北 northernmost, ...), 袁河 by the river
    sites = np.array([r[1] for r in st_rows])
    free = list(range(3, n_st))
    placed: dict[int, tuple[str, str]] = {}
    rules = {
        "城北派出所": lambda i: -sites[i, 1],
        "城南派出所": lambda i: sites[i, 1],
        "城东派出所": lambda i: -sites[i, 0],
        "城西派出所": lambda i: sites[i, 0],
        "袁河派出所": lambda i: abs(sites[i, 1] - float(river.y_at(np.array([sites[i, 0]]))[0])),
    }
    rest = []
    for nm in names[3:]:
        if nm[0] in rules and free:
            best = min(free, key=rules[nm[0]])
            placed[best] = nm
            free.remove(best)
        else:
            rest.append(nm)
    for i, nm in zip(free, rest):
        placed[i] = nm
    names = names[:3] + [placed[i] for i in range(3, n_st)]
    st_geom = _dissolve(faces.polys, labels, n_st)
    stations = pd.DataFrame(
        {
            "station_id": [f"S{i + 1:02d}" for i in range(n_st)],
            "name": [n[0] for n in names],
            "name_en": [n[1] for n in names],
            "site_x": [r[1][0] for r in st_rows],
            "site_y": [r[1][1] for r in st_rows],
            "geometry": st_geom,
        }
    )
    # communities: ids in station order then by position (north-west first)
    cm_geom = _dissolve(faces.polys, comm, n_cm)
    cen = shapely.centroid(cm_geom)
    order = np.lexsort((np.round(shapely.get_x(cen)), -np.round(shapely.get_y(cen)), comm_station))
    remap = np.empty(n_cm, int)
    remap[order] = np.arange(n_cm)
    comm = remap[comm]
    cm_geom = cm_geom[order]
    comm_station = comm_station[order]
    cm_names = community_names(n_cm)
    # 龙洲社区: the largest community of Zhushan station (index 2)
    zs = np.flatnonzero(comm_station == 2)
    lz = zs[np.argmax(shapely.area(cm_geom[zs]))]
    cm_names = cm_names[: n_cm - 1]
    cm_names.insert(int(lz), LONGZHOU)
    # offices: in the face nearest each community's centroid, off the road
    offices = []
    for c in range(n_cm):
        region = np.flatnonzero(comm == c)
        ctr = shapely.get_coordinates(shapely.point_on_surface(cm_geom[c]))[0]
        offices.append(_site_near(ctr, region, faces, rng))
    offices = np.array(offices)
    communities = pd.DataFrame(
        {
            "community_id": [f"C{i + 1:03d}" for i in range(n_cm)],
            "name": [n[0] for n in cm_names],
            "name_en": [n[1] for n in cm_names],
            "station_id": [f"S{s + 1:02d}" for s in comm_station],
            "office_name": [f"{n[0]}警务室" for n in cm_names],
            "office_x": offices[:, 0],
            "office_y": offices[:, 1],
            "geometry": cm_geom,
        }
    )
    return Areas(labels, comm, stations, communities)


# -- neighborhoods ---------------------------------------------------------------------------
@dataclass
class Neighborhoods:
    table: pd.DataFrame  # neighborhood_id, name, name_en, kind, households, community_id,
    #                      station_id, model_kind, face, geometry
    entrances: np.ndarray  # (n, 2): where the compound's gate meets the street
    gate_dir: np.ndarray  # (n, 2): unit vector from the gate into the compound


def _shared_with_road(face_polys: np.ndarray, road_geoms: list) -> np.ndarray:
    if not road_geoms:
        return np.zeros(len(face_polys))
    road = shapely.buffer(shapely.union_all(road_geoms), 1.0)
    return shapely.length(shapely.intersection(shapely.boundary(face_polys), road))


def build_neighborhoods(
    faces: Faces,
    areas: Areas,
    pieces: pd.DataFrame,
    ways: Ways,
    river: River,
    scale: float,
    rng: np.random.Generator,
) -> Neighborhoods:
    n_nb = max(12, int(round(300 * scale)))
    communities = areas.communities
    n_cm = len(communities)
    comm = areas.community_of_face
    st = areas.station_of_face
    ok = (~faces.in_river) & (faces.area > 12_000) & (faces.area < 140_000)
    ok &= ~shapely.is_empty(shapely.buffer(faces.polys, -35.0))  # wide enough for a compound
    # named road membership of pieces (north/south names of arterials resolved by position)
    way = pieces["way"].to_numpy()
    nm = np.asarray(ways.name, dtype=object)[way].copy()
    ns = np.asarray(ways.name_south, dtype=object)[way]
    mid = shapely.line_interpolate_point(pieces["geometry"].to_numpy(), 0.5, normalized=True)
    south = (ns != "") & (shapely.get_y(mid) < river.y_at(shapely.get_x(mid)))
    nm[south] = ns[south]
    geoms = pieces["geometry"].to_numpy()
    st_index = {n: i for i, n in enumerate(areas.stations["name"])}
    cm_index = {n: i for i, n in enumerate(communities["name"])}
    chosen: list[int] = []
    named_rows = []
    taken = np.zeros(len(faces.polys), bool)
    for spec in NAMED_NEIGHBORHOODS:
        zh, en, kind, model, station, road, community = spec
        cand = ok & ~taken
        if station is not None and station in st_index:
            cand &= st == st_index[station]
        if community is not None and community in cm_index:
            cand &= comm == cm_index[community]
        idx = np.flatnonzero(cand)
        if road is not None and len(idx):
            shared = _shared_with_road(faces.polys[idx], list(geoms[nm == road]))
            if (shared > 60).any():
                idx = idx[shared > 60]
        if len(idx) == 0:
            idx = np.flatnonzero(ok & ~taken)
        f = int(idx[rng.integers(0, len(idx))])
        taken[f] = True
        chosen.append(f)
        named_rows.append((zh, en, kind, model))
    # quotas per community (area-proportional, at least 3), the named ones counted
    cm_area = np.bincount(comm, weights=faces.area * ok, minlength=n_cm)
    quota = np.maximum(3, np.round(n_nb * cm_area / cm_area.sum())).astype(int)
    while quota.sum() > n_nb:
        quota[np.argmax(quota)] -= 1
    while quota.sum() < n_nb:
        quota[np.argmax(cm_area / quota)] += 1
    have = np.bincount(comm[np.array(chosen)], minlength=n_cm)
    for c in range(n_cm):
        need = quota[c] - have[c]
        idx = np.flatnonzero(ok & ~taken & (comm == c))
        if need <= 0 or len(idx) == 0:
            continue
        w = faces.area[idx]
        pick = rng.choice(idx, size=min(need, len(idx)), replace=False, p=w / w.sum())
        taken[pick] = True
        chosen.extend(int(p) for p in pick)
    chosen_a = np.array(chosen)
    n = len(chosen_a)
    n_named = len(named_rows)
    # kinds
    kinds = rng.choice(np.array(["unit_compound", "enclosed", "open"]), n, p=[0.12, 0.6, 0.28])
    n_units = int((kinds[n_named:] == "unit_compound").sum())
    nb_names = neighborhood_names(rng, n - n_named, n_units)
    # unit compound names first in the pool: hand them to the unit compounds in order
    unit_names = iter(nb_names[:n_units])
    other_names = iter(nb_names[n_units:])
    names, names_en, kinds_out, models = [], [], [], []
    for i in range(n):
        if i < n_named:
            zh, en, kind, model = named_rows[i]
        else:
            kind = str(kinds[i])
            zh, en = next(unit_names) if kind == "unit_compound" else next(other_names)
            model = ""
        names.append(zh)
        names_en.append(en)
        kinds_out.append(kind)
        models.append(model)
    # geometry: the face set back from the street centre-lines, sometimes only part of it
    polys = faces.polys[chosen_a]
    inner = shapely.buffer(polys, -14.0, join_style="mitre")
    parts = []
    for g in inner:
        pp = shapely.get_parts(g)
        parts.append(pp[np.argmax(shapely.area(pp))] if len(pp) else shapely.Polygon())
    inner = np.array(parts, dtype=object)
    frac = np.where(rng.random(n) < 0.35, rng.uniform(0.45, 0.75, n), 1.0)
    frac[:n_named] = [0.5, 1.0, 1.0, 1.0, 1.0, 1.0][:n_named]
    from_end = rng.random(n) < 0.5
    env = shapely.oriented_envelope(inner)
    # a named compound next to a road keeps the part along that road
    named_road = [spec[5] for spec in NAMED_NEIGHBORHOODS]
    geoms_out = []
    for i, (g, en_, fr) in enumerate(zip(inner, env, frac)):
        if fr >= 1.0:
            geoms_out.append(g)
            continue
        c = shapely.get_coordinates(en_)[:4]
        s1, s2 = c[1] - c[0], c[3] - c[0]
        if np.hypot(*s1) < np.hypot(*s2):
            s1, s2 = s2, s1
        origin = c[0]
        if i < n_named and named_road[i] is not None and (nm == named_road[i]).any():
            road = shapely.union_all(geoms[nm == named_road[i]])
            far = shapely.distance(shapely.Point(c[0] + s1 + 0.5 * s2), road)
            near = shapely.distance(shapely.Point(c[0] + 0.5 * s2), road)
            flip = far < near
        else:
            flip = bool(from_end[i])
        if flip:
            origin, s1 = c[0] + s1, -s1
        box = shapely.Polygon(
            [
                origin - 0.05 * s2,
                origin + fr * s1 - 0.05 * s2,
                origin + fr * s1 + 1.05 * s2,
                origin + 1.05 * s2,
            ]
        )
        cut = shapely.intersection(g, box)
        pp = shapely.get_parts(cut)
        pp = pp[[p.geom_type == "Polygon" for p in pp]]
        best = pp[np.argmax(shapely.area(pp))] if len(pp) else g
        geoms_out.append(best if not shapely.is_empty(shapely.buffer(best, -15.0)) else g)
    geoms_out = shapely.normalize(np.array(geoms_out, dtype=object))
    area = shapely.area(geoms_out)
    kind_f = np.select(
        [np.array(kinds_out) == "unit_compound", np.array(kinds_out) == "open"], [0.6, 0.9], 1.0
    )
    hh = area * np.exp(rng.normal(np.log(0.028), 0.35, n)) * kind_f
    hh = np.clip(np.round(hh), 150, 2500).astype(int)
    hh[:n_named] = [220, 640, 920, 1860, 760, 1080][:n_named]
    # model neighborhoods: named ones plus about one per community; 3-5 communities go without
    cm_of = comm[chosen_a]
    has_model = np.zeros(n_cm, bool)
    has_model[cm_of[:n_named]] = True
    n_without = int(np.clip(round(4 * scale), 1, 5)) if scale < 1.5 else int(round(4 * scale))
    free = np.flatnonzero(~has_model)
    without = set(rng.choice(free, size=min(n_without, len(free)), replace=False).tolist())
    model_pool = np.array(
        ["unit_self_governance", "party_building", "party_members_return", "police_resident"]
    )
    for c in range(n_cm):
        if has_model[c] or c in without:
            continue
        idx = np.flatnonzero(cm_of == c)
        idx = idx[idx >= n_named]
        if len(idx) == 0:
            continue
        pref = idx[np.array(kinds_out, dtype=object)[idx] != "open"]
        pick = int(rng.choice(pref if len(pref) else idx))
        k = kinds_out[pick]
        mk = (
            "unit_self_governance"
            if k == "unit_compound"
            else str(rng.choice(model_pool[1:], p=[0.25, 0.2, 0.55]))
        )
        models[pick] = mk
        has_model[c] = True
    # order: named first, then by community and position; ids N0001...
    cen = shapely.centroid(geoms_out)
    order = np.r_[
        np.arange(n_named),
        n_named
        + np.lexsort(
            (
                np.round(shapely.get_x(cen[n_named:])),
                -np.round(shapely.get_y(cen[n_named:])),
                cm_of[n_named:],
            )
        ),
    ]
    table = (
        pd.DataFrame(
            {
                "name": names,
                "name_en": names_en,
                "kind": kinds_out,
                "households": hh,
                "community_id": communities["community_id"].to_numpy()[cm_of],
                "station_id": communities["station_id"].to_numpy()[cm_of],
                "model_kind": models,
                "face": chosen_a,
                "geometry": geoms_out,
            }
        )
        .iloc[order]
        .reset_index(drop=True)
    )
    table.insert(0, "neighborhood_id", [f"N{i + 1:04d}" for i in range(n)])
    # gates: the point of the face boundary nearest the compound's centre, and the way in
    polys_f = faces.polys[table["face"].to_numpy()]
    ctr = shapely.point_on_surface(table["geometry"].to_numpy())
    line = shapely.shortest_line(shapely.boundary(polys_f), ctr)
    a = shapely.get_coordinates(shapely.get_point(line, 0))
    b = shapely.get_coordinates(shapely.get_point(line, 1))
    d = b - a
    d = d / np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
    return Neighborhoods(table, a, d)


def service_ways(
    nb: Neighborhoods, ways: Ways, rng: np.random.Generator, share: float = 0.45
) -> None:
    """Dead-end service roads from the street into some compounds (ways added in place)."""
    t = nb.table
    n = len(t)
    pick = (rng.random(n) < share) & (t["kind"].to_numpy() != "open")
    ctr = shapely.get_coordinates(shapely.point_on_surface(t["geometry"].to_numpy()))
    for i in np.flatnonzero(pick):
        a = nb.entrances[i] - nb.gate_dir[i] * 4.0  # overshoot across the street centre-line
        b = ctr[i]
        if np.hypot(*(b - a)) < 45:
            b = a + nb.gate_dir[i] * 45.0
        pts = [a, b]
        # an L-shaped branch along the compound
        side = np.array([-nb.gate_dir[i][1], nb.gate_dir[i][0]]) * rng.choice([-1, 1])
        c = b + side * rng.uniform(30, 60)
        if shapely.contains_xy(t["geometry"].iloc[i], c[0], c[1]):
            pts.append(c)
        ways.add(shapely.LineString(pts), "service", "", kind="service")


# -- sub-zones ---------------------------------------------------------------------------------
def build_subzones(faces: Faces, areas: Areas, n_target: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge faces (within one community) into exactly ``n_target`` sub-zones where possible.
    Returns (label per face, geometry per sub-zone)."""
    n = len(faces.polys)
    label = np.arange(n)
    comm = areas.community_of_face
    coo = faces.adj.tocoo()
    same = comm[coo.row] == comm[coo.col]
    A = sparse.csr_matrix((np.ones(same.sum()), (coo.row[same], coo.col[same])), shape=(n, n))
    count = n
    for _ in range(50):
        excess = count - n_target
        if excess <= 0:
            break
        # current sub-zones: compact labels
        uniq, lab = np.unique(label, return_inverse=True)
        m = len(uniq)
        P = sparse.csr_matrix((np.ones(n), (np.arange(n), lab)), shape=(n, m))
        Az = (P.T @ A @ P).tocsr()
        Az.setdiag(0)
        Az.eliminate_zeros()
        za = np.bincount(lab, weights=faces.area, minlength=m)
        used = np.zeros(m, bool)
        merges = []
        for z in np.argsort(za, kind="stable"):
            if len(merges) >= excess:
                break
            if used[z]:
                continue
            nbrs = Az.indices[Az.indptr[z] : Az.indptr[z + 1]]
            nbrs = nbrs[~used[nbrs]]
            if len(nbrs) == 0:
                continue
            t = nbrs[np.argmin(za[nbrs])]
            used[z] = used[t] = True
            merges.append((z, t))
        if not merges:
            break
        tgt = np.arange(m)
        for z, t in merges:
            tgt[z] = min(z, t)
            tgt[t] = min(z, t)
        label = tgt[lab]
        count -= len(merges)
    uniq, label = np.unique(label, return_inverse=True)
    geoms = _dissolve(faces.polys, label, len(uniq))
    return label, geoms
