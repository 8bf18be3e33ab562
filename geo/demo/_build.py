"""The build of the demo district: roads, areas, compounds, assets and incidents, assembled as
workspace layers (see :mod:`geo.demo`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geo.demo._areas import (
    CORE_AREA_SCALE1,
    SUBZONES_PER_80KM2,
    assign_areas,
    build_faces,
    build_neighborhoods,
    build_subzones,
    service_ways,
)
from geo.demo._assets import build_buildings, build_cameras, build_units, main_crossings
from geo.demo._common import CRS, centre_xy, load_boundary, random_points_in, rng_for
from geo.demo._incidents import (
    ADOPTED,
    CELL_M,
    HOT_PLACES,
    PTYPES,
    SIM_START,
    TruthModel,
    default_parameters,
    sample_from_rows,
    simulate,
)
from geo.demo._roads import add_local_streets, build_skeleton, make_graph, node_ways
from geo.errors import InputError
from geo.progress import Progress, no_progress
from geo.schema import CATEGORIES, DEFAULT_TIMEZONE, MAIN_HIGHWAYS

__all__ = ["GENERATOR_VERSION", "DemoDistrict", "build_demo", "default_as_of"]

GENERATOR_VERSION = "1.0"


@dataclass
class DemoDistrict:
    """A built demo district: layers (GeoDataFrames in ``crs``), meta and per-layer sources."""

    layers: dict[str, gpd.GeoDataFrame]
    meta: dict[str, Any]
    sources: dict[str, str]
    crs: str = field(default=CRS)


def default_as_of(today: dt.date | None = None) -> dt.date:
    """The last day of the previous month."""
    today = today or dt.date.today()
    return today.replace(day=1) - dt.timedelta(days=1)


def _gdf(df: pd.DataFrame, geometry: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        df.reset_index(drop=True), geometry=gpd.GeoSeries(np.asarray(geometry), crs=CRS), crs=CRS
    )


def _core(boundary: shapely.Geometry, cx: float, cy: float, scale: float) -> shapely.Polygon:
    half_w, half_h = 4000 * np.sqrt(scale), 5000 * np.sqrt(scale)
    box = shapely.box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    inner = shapely.buffer(boundary, -200.0)
    if shapely.within(box, inner):
        return box
    core = shapely.intersection(box, inner)
    parts = shapely.get_parts(core)
    part = parts[np.argmax(shapely.area(parts))]
    core = shapely.Polygon(shapely.get_exterior_ring(part)).simplify(25.0)
    return shapely.make_valid(core) if not core.is_valid else core


def build_demo(
    *,
    seed: int = 1979,
    as_of: dt.date | None = None,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> DemoDistrict:
    """Build the demo district.

    Parameters
    ----------
    seed
        Random seed; every stage draws from its own sub-stream of it.
    as_of
        Last day of incident data (default: the last day of the previous month). Incidents run from
        2024-01-01 to ``as_of`` inclusive.
    scale
        District size factor: the core's area and every count scale with it (1 = the demo).
    progress
        Optional ``progress(stage, fraction)`` callback.

    Raises
    ------
    InputError
        For a non-positive scale or an ``as_of`` before 2024-01-01.
    """
    report = progress or no_progress
    if not (scale > 0 and np.isfinite(scale)):
        raise InputError(f"scale must be a positive number, got {scale!r}", code="param.positive", name="scale",
                         value=str(scale))
    as_of = as_of or default_as_of()
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    if as_of < SIM_START:
        raise InputError(
            f"as_of {as_of} is before the first incident day {SIM_START}; "
            f"choose a later date",
            code="demo.as_of", as_of=str(as_of), first=str(SIM_START),
        )
    report("boundary", 0.0)
    boundary, bname, adcode = load_boundary()
    cx, cy = centre_xy()
    core = _core(boundary, cx, cy, scale)
    # -- roads ---------------------------------------------------------------------------------
    report("roads", 0.05)
    rng = rng_for(seed, "roads")
    sk = build_skeleton(rng, core, cx, cy, scale)
    add_local_streets(rng_for(seed, "local streets"), sk)
    pieces = node_ways(sk.ways, core, sk.river)
    # -- areas ---------------------------------------------------------------------------------
    report("areas", 0.2)
    n_sub = max(1, int(round(SUBZONES_PER_80KM2 * core.area / CORE_AREA_SCALE1)))
    faces = build_faces(pieces, core, sk.river, n_sub)
    areas = assign_areas(
        faces, sk.ways, sk.river, core, cx, cy, scale, rng_for(seed, "areas")
    )
    nbh = build_neighborhoods(
        faces, areas, pieces, sk.ways, sk.river, scale, rng_for(seed, "neighborhoods")
    )
    service_ways(nbh, sk.ways, rng_for(seed, "service roads"))
    report("road graph", 0.3)
    pieces2 = node_ways(sk.ways, core, sk.river)
    nodes, edges, ways = make_graph(sk.ways, pieces2, sk.river)
    sz_label, sz_geom = build_subzones(faces, areas, n_sub)
    # -- tables ----------------------------------------------------------------------------------
    report("layers", 0.4)
    nb = nbh.table
    vr = rng_for(seed, "vulnerability")
    kind_f = nb["kind"].map({"open": 1.6, "enclosed": 1.0, "unit_compound": 0.7}).to_numpy(float)
    nb["vulnerability"] = np.round(kind_f * np.exp(vr.normal(0, 0.4, len(nb))), 3)
    bld, yards = build_buildings(nb, rng_for(seed, "buildings"))
    cams = build_cameras(
        nodes, edges, nb, nbh.entrances, nbh.gate_dir, yards, scale, rng_for(seed, "cameras")
    )
    units = build_units(
        nodes, edges, areas.stations, areas.communities, nb, cams, scale, rng_for(seed, "units")
    )
    # face lookup for tagging points with station / community / sub-zone
    face_tree = shapely.STRtree(faces.polys)

    def tag(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        pts = shapely.points(x, y)
        a, b = face_tree.query(pts, predicate="intersects")
        f = np.full(len(pts), -1)
        o = np.lexsort((b, a))
        a, b = a[o], b[o]
        first = np.r_[True, a[1:] != a[:-1]]
        f[a[first]] = b[first]
        return f

    st_ids = areas.stations["station_id"].to_numpy()
    cm_ids = areas.communities["community_id"].to_numpy()
    # sub-zones: ids in reading order (north to south in 500 m bands, west to east)
    sz_cen = shapely.centroid(sz_geom)
    band = np.floor((core.bounds[3] - shapely.get_y(sz_cen)) / 500.0)
    sz_order = np.lexsort((shapely.get_x(sz_cen), band))
    sz_rank = np.empty(len(sz_geom), int)
    sz_rank[sz_order] = np.arange(len(sz_geom))
    sz_ids_sorted = np.array([f"Z{i + 1:04d}" for i in range(len(sz_geom))])
    sz_id_of_label = sz_ids_sorted[sz_rank]
    face_sz = sz_id_of_label[sz_label]
    # -- incidents ---------------------------------------------------------------------------------
    report("incidents", 0.5)
    inc, truth_cells, truth_meta = _make_incidents(
        seed, as_of, scale, core, edges, nodes, nb, report
    )
    f = tag(shapely.get_x(inc.geometry.to_numpy()), shapely.get_y(inc.geometry.to_numpy()))
    inc["station_id"] = st_ids[areas.station_of_face[f]]
    inc["community_id"] = cm_ids[areas.community_of_face[f]]
    inc["subzone_id"] = face_sz[f]
    inc = inc[[c for c in inc.columns if c != "geometry"] + ["geometry"]]
    report("assemble", 0.9)
    layers: dict[str, gpd.GeoDataFrame] = {}
    layers["boundary"] = _gdf(pd.DataFrame({"name": [bname], "adcode": [adcode]}), [boundary])
    layers["stations"] = _gdf(areas.stations.drop(columns="geometry"), areas.stations["geometry"])
    cm = areas.communities.copy()
    hh = nb.groupby("community_id")["households"].sum()
    cm["households"] = cm["community_id"].map(hh).fillna(0).astype(np.int64)
    rr = rng_for(seed, "residents")
    cm_area_km2 = shapely.area(cm["geometry"].to_numpy()) / 1e6
    cm["residents"] = np.round(
        cm["households"] * 2.8 + cm_area_km2 * rr.uniform(3000, 6000, len(cm))
    ).astype(np.int64)
    layers["communities"] = _gdf(cm.drop(columns="geometry"), cm["geometry"])
    layers["neighborhoods"] = _gdf(nb.drop(columns=["geometry", "face"]), nb["geometry"])
    # sub-zones
    sz = pd.DataFrame({"subzone_id": sz_id_of_label})
    # station/community of each sub-zone: from any face of it
    first_face = np.full(len(sz_geom), -1)
    first_face[sz_label[::-1]] = np.arange(len(sz_label))[::-1]
    sz["station_id"] = st_ids[areas.station_of_face[first_face]]
    sz["community_id"] = cm_ids[areas.community_of_face[first_face]]
    sz["area_m2"] = shapely.area(sz_geom)
    sz["perimeter_m"] = shapely.length(sz_geom)
    sz["households"] = _households_by_share(sz_geom, nb)
    sz["geometry"] = sz_geom
    sz = sz.iloc[sz_order].reset_index(drop=True)
    layers["subzones"] = _gdf(sz.drop(columns="geometry"), sz["geometry"])
    layers["road_nodes"] = _gdf(nodes, shapely.points(nodes["x"], nodes["y"]))
    e = edges.rename(columns={"way": "way_id"}).drop(columns=["piece"])
    e["way_id"] = e["way_id"].astype(np.int64) + 1
    layers["road_edges"] = _gdf(e.drop(columns="geometry"), e["geometry"])
    cf = tag(cams["x"].to_numpy(), cams["y"].to_numpy())
    cams["station_id"] = st_ids[areas.station_of_face[cf]]
    layers["cameras"] = _gdf(cams.drop(columns=["x", "y"]), shapely.points(cams["x"], cams["y"]))
    layers["incidents"] = inc
    uf = tag(units["x"].to_numpy(), units["y"].to_numpy())
    guard = units["kind"] == "skynet_guard"
    units.loc[guard, "station_id"] = st_ids[areas.station_of_face[uf[guard.to_numpy()]]]
    units["headcount"] = (units["officers"] + units["auxiliaries"] + units["volunteers"]).astype(
        np.int64
    )
    layers["units"] = _gdf(units.drop(columns=["x", "y"]), shapely.points(units["x"], units["y"]))
    layers["buildings"] = _gdf(bld.drop(columns="geometry"), bld["geometry"])
    layers["demo_truth"] = truth_cells
    layers["water"] = _gdf(
        pd.DataFrame({"name": ["袁河"], "name_en": ["Yuan River"], "kind": ["river"]}),
        [sk.river.polygon],
    )
    meta = {
        "district": bname,
        "demo_seed": int(seed),
        "demo_as_of": as_of.isoformat(),
        "demo_scale": float(scale),
        "demo_generator": f"geo.demo {GENERATOR_VERSION}",
        "method_adopted": ADOPTED.isoformat(),
        "core_area_km2": round(core.area / 1e6, 3),
        "demo_truth": truth_meta,
    }
    synth = f"synthetic (geo.demo {GENERATOR_VERSION}, seed {seed}, scale {scale:g}, as of {as_of})"
    sources = {name: synth for name in layers}
    sources["boundary"] = (
        "DataV GeoAtlas 360502 渝水区 (GCJ-02), converted to WGS84 by geo.coords "
        "and projected to EPSG:4547"
    )
    report("done", 1.0)
    return DemoDistrict(layers=layers, meta=meta, sources=sources)


def _households_by_share(sz_geom: np.ndarray, nb: pd.DataFrame) -> np.ndarray:
    polys = nb["geometry"].to_numpy()
    tree = shapely.STRtree(sz_geom)
    a, b = tree.query(polys, predicate="intersects")
    inter = shapely.area(shapely.intersection(polys[a], sz_geom[b]))
    share = inter / shapely.area(polys[a])
    hh = np.bincount(b, weights=share * nb["households"].to_numpy()[a], minlength=len(sz_geom))
    return np.round(hh).astype(np.int64)


# -- incidents -------------------------------------------------------------------------------------
def _truth_grid(core: shapely.Polygon) -> tuple[pd.DataFrame, np.ndarray, float, float]:
    c = CELL_M
    x0 = np.floor(core.bounds[0] / c) * c
    y0 = np.floor(core.bounds[1] / c) * c
    ncol = int(np.ceil((core.bounds[2] - x0) / c))
    nrow = int(np.ceil((core.bounds[3] - y0) / c))
    rr, cc = np.meshgrid(np.arange(nrow), np.arange(ncol), indexing="ij")
    rr, cc = rr.ravel(), cc.ravel()
    sq = shapely.box(x0 + cc * c, y0 + rr * c, x0 + (cc + 1) * c, y0 + (rr + 1) * c)
    geom = shapely.intersection(sq, core)
    keep = shapely.area(geom) > 1.0
    rr, cc, geom = rr[keep], cc[keep], geom[keep]
    df = pd.DataFrame(
        {
            "cell_id": (rr * 10000 + cc).astype(np.int64),
            "row": rr.astype(np.int64),
            "col": cc.astype(np.int64),
            "cx": x0 + (cc + 0.5) * c,
            "cy": y0 + (rr + 0.5) * c,
        }
    )
    return df, geom, float(x0), float(y0)


def _hot_places(
    nodes: pd.DataFrame, edges: pd.DataFrame, scale: float, rng: np.random.Generator
) -> list[dict[str, Any]]:
    ids, _ = main_crossings(nodes, edges)
    xy = nodes.set_index("node_id").loc[ids, ["x", "y"]].to_numpy()
    ctr = xy.mean(axis=0)
    d = np.hypot(xy[:, 0] - ctr[0], xy[:, 1] - ctr[1])
    n = max(3, int(round(len(HOT_PLACES) * scale)))
    # favour central crossings: weight decays with distance from the centre
    w = np.exp(-d / (2500 * np.sqrt(scale)))
    pick = rng.choice(len(xy), size=min(n, len(xy)), replace=False, p=w / w.sum())
    out = []
    for i, j in enumerate(pick):
        zh, en, mult, radius = HOT_PLACES[i % len(HOT_PLACES)]
        rep = i // len(HOT_PLACES)
        off = rng.normal(0, 60, 2)
        out.append(
            {
                "name": zh + (f"{rep + 1}" if rep else ""),
                "name_en": en + (f" {rep + 1}" if rep else ""),
                "x": round(float(xy[j, 0] + off[0]), 1),
                "y": round(float(xy[j, 1] + off[1]), 1),
                "radius_m": float(radius),
                "multipliers": {k: float(v) for k, v in mult.items()},
            }
        )
    return out


def _make_incidents(
    seed: int,
    as_of: dt.date,
    scale: float,
    core: shapely.Polygon,
    edges: pd.DataFrame,
    nodes: pd.DataFrame,
    nb: pd.DataFrame,
    report: Progress,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, Any]]:
    cells, cell_geom, x0, y0 = _truth_grid(core)
    n = len(cells)
    ccx, ccy = cells["cx"].to_numpy(), cells["cy"].to_numpy()
    half = CELL_M / 2
    sq_geom = np.asarray(shapely.box(ccx - half, ccy - half, ccx + half, ccy + half))
    # road pieces (one per undirected street, the smaller edge id), split by cells
    e = edges[edges["highway"] != "service"]
    first = e.groupby("piece")["edge_id"].min()
    ee = e.set_index("edge_id").loc[first.to_numpy()]
    pg = ee["geometry"].to_numpy()
    main = ee["highway"].isin(MAIN_HIGHWAYS).to_numpy()
    tree = shapely.STRtree(sq_geom)
    a, b = tree.query(pg, predicate="intersects")
    seg = shapely.intersection(pg[a], sq_geom[b])
    parts, pidx = shapely.get_parts(seg, return_index=True)
    a, b = a[pidx], b[pidx]
    line = shapely.get_type_id(parts) == 1
    parts, a, b = parts[line], a[line], b[line]
    seg_len = shapely.length(parts)
    ok = seg_len > 0.5
    parts, a, b, seg_len = parts[ok], a[ok], b[ok], seg_len[ok]
    seg_edge = first.to_numpy()[a]
    seg_main = main[a]
    cap_main = np.bincount(b[seg_main], weights=seg_len[seg_main], minlength=n)
    cap_other = np.bincount(b[~seg_main], weights=seg_len[~seg_main], minlength=n)
    # neighborhood pieces
    polys = nb["geometry"].to_numpy()
    a2, b2 = tree.query(polys, predicate="intersects")
    npc = shapely.intersection(polys[a2], sq_geom[b2])
    nar = shapely.area(npc)
    ok = nar > 1.0
    a2, b2, npc, nar = a2[ok], b2[ok], npc[ok], nar[ok]
    nw = (
        nb["households"].to_numpy(float)[a2]
        * nar
        / shapely.area(polys[a2])
        * nb["vulnerability"].to_numpy(float)[a2]
    )
    is_model = (nb["model_kind"].to_numpy() != "")[a2]
    cap_pre = np.bincount(b2, weights=nw, minlength=n)
    cap_post = np.bincount(b2, weights=nw * ~is_model, minlength=n)
    cells["cap_street_main"] = cap_main
    cells["cap_street_other"] = cap_other
    cells["cap_neighborhood_pre"] = cap_pre
    cells["cap_neighborhood_post"] = cap_post
    hot = _hot_places(nodes, edges, scale, rng_for(seed, "hot places"))
    for c in CATEGORIES:
        h = np.ones(n)
        for hp in hot:
            m = hp["multipliers"].get(c, 1.0)
            if m != 1.0:
                d2 = (cells["cx"] - hp["x"]) ** 2 + (cells["cy"] - hp["y"]) ** 2
                h += (m - 1.0) * np.exp(-0.5 * d2 / hp["radius_m"] ** 2)
        cells[f"hot_{c}"] = np.round(h, 6)
    tmeta = default_parameters(scale, as_of, rng_for(seed, "truth"), hot)
    tmeta["grid_x0"], tmeta["grid_y0"] = x0, y0
    model = TruthModel(cells, tmeta)
    # convenience columns: pre-adoption daily level per group and place type in the cell
    for p in PTYPES:
        for grp in ("two_robberies_one_theft", "other_criminal", "public_order"):
            col = np.zeros(n)
            for k, (c, pt) in enumerate(model.comps):
                if pt == p and CATEGORIES[c][2] == grp:
                    col += model.w["pre"][k] * tmeta["levels_per_year"][p][c] / 365.25
            cells[f"base_{grp}_{p}"] = col
    report("incidents", 0.6)
    ev = simulate(model, rng_for(seed, "incident events"))
    report("incidents", 0.75)
    # -- place events ------------------------------------------------------------------------
    prng = rng_for(seed, "incident places")
    comp_p = np.array(model.ptype_of)[ev["comp"].to_numpy()]
    cat = np.array([c for c, _ in model.comps])[ev["comp"].to_numpy()]
    cell = ev["cell"].to_numpy()
    post = ev["day"].to_numpy() >= model.d_adopt
    N = len(ev)
    x = np.full(N, np.nan)
    y = np.full(N, np.nan)
    edge_id = np.full(N, -1, np.int64)
    snap = np.full(N, np.nan)
    nb_idx = np.full(N, -1, np.int64)
    for p, mask_seg in (("street_main", seg_main), ("street_other", ~seg_main)):
        sel = np.flatnonzero(comp_p == p)
        if not len(sel):
            continue
        si = np.flatnonzero(mask_seg)
        M = sparse.csr_matrix((seg_len[si], (b[si], np.arange(len(si)))), shape=(n, len(si)))
        M.sort_indices()
        j = sample_from_rows(M, cell[sel], prng.random(len(sel)))
        s_idx = si[j]
        g = parts[s_idx]
        L = seg_len[s_idx]
        t = prng.random(len(sel)) * L
        p0 = shapely.get_coordinates(shapely.line_interpolate_point(g, np.maximum(t - 0.5, 0)))
        p1 = shapely.get_coordinates(shapely.line_interpolate_point(g, np.minimum(t + 0.5, L)))
        pm = shapely.get_coordinates(shapely.line_interpolate_point(g, t))
        tan = p1 - p0
        tan /= np.maximum(np.hypot(tan[:, 0], tan[:, 1]), 1e-9)[:, None]
        nrm = np.column_stack([tan[:, 1], -tan[:, 0]])
        off = prng.uniform(0.5, 6.0, len(sel)) * prng.choice([-1.0, 1.0], len(sel))
        q = pm + nrm * off[:, None]
        inside = shapely.contains_xy(cell_geom[cell[sel]], q[:, 0], q[:, 1])
        q[~inside] = pm[~inside] - nrm[~inside] * off[~inside, None]
        inside2 = shapely.contains_xy(cell_geom[cell[sel]], q[:, 0], q[:, 1])
        q[~inside2] = pm[~inside2]
        x[sel], y[sel] = q[:, 0], q[:, 1]
        edge_id[sel] = seg_edge[s_idx]
    sel = np.flatnonzero(comp_p == "neighborhood")
    for era, emask in (("pre", ~post), ("post", post)):
        s2 = sel[emask[sel]]
        if not len(s2):
            continue
        w = nw if era == "pre" else nw * ~is_model
        M = sparse.csr_matrix((w, (b2, np.arange(len(b2)))), shape=(n, len(b2)))
        M.sort_indices()
        j = sample_from_rows(M, cell[s2], prng.random(len(s2)))
        pts = random_points_in(npc[j], prng)
        x[s2], y[s2] = pts[:, 0], pts[:, 1]
        nb_idx[s2] = a2[j]
    report("incidents", 0.85)
    geom = shapely.points(x, y)
    street = comp_p != "neighborhood"
    eg = edges.set_index("edge_id")["geometry"]
    snap[street] = shapely.distance(geom[street], eg.loc[edge_id[street]].to_numpy())
    tz = DEFAULT_TIMEZONE
    start = pd.Timestamp(model.start)
    occurred = (
        start
        + pd.to_timedelta(ev["day"].to_numpy(), unit="D")
        + pd.to_timedelta(ev["hour"].to_numpy() * 60 + ev["minute"].to_numpy(), unit="min")
    )
    occurred = pd.DatetimeIndex(occurred).tz_localize(tz)
    df = pd.DataFrame(
        {
            "occurred_at": occurred,
            "category": cat,
            "place_kind": np.where(street, "street", "neighborhood"),
            "neighborhood_id": np.where(
                nb_idx >= 0, nb["neighborhood_id"].to_numpy()[np.maximum(nb_idx, 0)], None
            ),
            "edge_id": pd.array(np.where(street, edge_id, 0), dtype="Int64"),
            "snap_distance_m": np.round(snap, 2),
            "main_road": comp_p == "street_main",
            "truth_cell_id": cells["cell_id"].to_numpy()[cell],
            "generation": ev["generation"].to_numpy().astype(np.int64),
            "x": x,
            "y": y,
        }
    )
    df.loc[~street, "edge_id"] = pd.NA
    order = np.lexsort(
        (
            df["y"].to_numpy(),
            df["x"].to_numpy(),
            df["category"].to_numpy(),
            df["occurred_at"].to_numpy(),
        )
    )
    df = df.iloc[order].reset_index(drop=True)
    df.insert(0, "incident_id", [f"I{i + 1:07d}" for i in range(len(df))])
    inc = gpd.GeoDataFrame(
        df.drop(columns=["x", "y"]),
        geometry=gpd.GeoSeries(shapely.points(df["x"], df["y"]), crs=CRS),
        crs=CRS,
    )
    truth = gpd.GeoDataFrame(cells, geometry=gpd.GeoSeries(cell_geom, crs=CRS), crs=CRS)
    return inc, truth, tmeta
