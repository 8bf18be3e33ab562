"""Jobs shared by the CLI and the web app: each one calls the pure core and writes the workspace.

Nothing here holds planning logic; a job strings core calls together and reports progress through
a ``progress(stage, fraction)`` callback that the CLI turns into a rich progress bar and the web app
into a job status.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from app.storage.workspace import Workspace, create_workspace

Progress = Callable[[str, float], None]


def _noop(stage: str, fraction: float) -> None:
    return None


def _backup(path: str | Path, reason: str) -> None:
    """Keep a copy of a workspace about to be replaced (``patrolnet restore`` brings it back)."""
    from app.storage.backup import backup_workspace, check_not_in_use
    from geo.errors import WorkspaceError

    check_not_in_use(path)
    try:
        backup_workspace(path, reason=reason)
    except WorkspaceError:
        pass  # not a workspace (or unreadable): nothing worth keeping, it is replaced as asked


def build_demo_workspace(
    path: str | Path,
    *,
    seed: int = 1979,
    as_of: dt.date | None = None,
    scale: float = 1.0,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> Workspace:
    """Build the synthetic demo district (modelled on Yushui, Xinyu) into a new workspace file.

    The build is deterministic for a given ``seed``, ``as_of`` and ``scale``; the file is written
    atomically, so an interrupted build leaves no half-written workspace behind.
    """
    from geo.demo import build_demo

    report = progress or _noop
    if overwrite and Path(path).exists():
        _backup(path, "before-demo-rebuild")
    district = build_demo(seed=seed, as_of=as_of, scale=scale, progress=report)
    report("write workspace", 0.0)
    ws = create_workspace(
        path,
        district.layers,
        crs=district.crs,
        meta=district.meta,
        sources=district.sources,
        overwrite=overwrite,
    )
    report("write workspace", 1.0)
    ensure_demo_users(ws)
    return ws


#: The demo's users: (user name, role, station id or None). Station users for the three stations the
#: article names; their password is :data:`app.storage.users.DEMO_PASSWORD`, shown on the demo's login page.
DEMO_USERS = (
    ("admin", "admin", None), ("zhihui", "commander", None), ("fenxi", "analyst", None),
    ("beihu", "station", "S01"), ("baoshi", "station", "S02"), ("zhushan", "station", "S03"),
)


def ensure_demo_users(ws: Workspace) -> list[str]:
    """Give a demo workspace its demo users (:data:`DEMO_USERS`) when it has no users yet; the user
    names added. Only ``patrolnet demo`` calls this, and only a workspace built by the demo generator
    (``meta.demo_generator``) gets them: a real workspace never gets a default password, even when
    ``patrolnet demo --workspace`` is pointed at it."""
    from app.storage.users import DEMO_PASSWORD, UserStore

    if "demo_generator" not in ws.meta:  # never a published password on a real workspace
        return []
    store = UserStore(ws.path)
    if store.list():
        return []
    names = {}
    if ws.has("stations"):
        st = ws.read("stations", columns=["station_id", "name"])
        names = dict(zip(st["station_id"].astype(str), st["name"].astype(str)))
    labels = {"admin": "系统管理员", "commander": "指挥长", "analyst": "分析员"}
    added = []
    for username, role, station in DEMO_USERS:
        if station is not None and station not in names:
            continue
        store.add(username, DEMO_PASSWORD, role, station_id=station, demo=True,
                  display_name=names.get(station or "", labels.get(role, "")) + "（演示）")
        added.append(username)
    return added


def init_workspace(
    path: str | Path,
    *,
    osm: str | Path | None = None,
    place: str | None = None,
    boundary: str | Path | None = None,
    boundary_coords: str = "wgs84",
    crs: str | None = None,
    timezone: str = "Asia/Shanghai",
    overwrite: bool = False,
    progress: Progress | None = None,
) -> tuple[Workspace, dict]:
    """Create a workspace from an OSM extract (or a place name, online only) and/or a boundary.

    Returns the workspace and a summary (OSM statistics, where the boundary came from).
    """
    import geopandas as gpd
    import shapely

    from geo.coords import suggest_projected_crs
    from geo.errors import InputError
    from app.services.imports import read_boundary

    report = progress or _noop
    if overwrite and Path(path).exists():
        _backup(path, "before-init")
    if osm is None and place is None and boundary is None and crs is None:
        raise InputError("nothing to build from: pass --osm FILE (or --place NAME online), --boundary FILE or --crs")
    if osm is not None and place is not None:
        raise InputError("pass either --osm FILE or --place NAME, not both")
    bnd = read_boundary(boundary, coords=boundary_coords) if boundary is not None else None
    layers: dict = {}
    sources: dict = {}
    summary: dict = {}
    osm_meta: dict = {}
    extract = None
    if osm is not None or place is not None:
        from geo.osm import place_download, read_osm

        extract = (read_osm(osm, crs=crs, boundary=bnd, progress=report) if osm is not None
                   else place_download(place, crs=crs))
        crs = extract.crs
        src = str(osm) if osm is not None else f"osmnx place: {place}"
        layers.update({"road_nodes": extract.road_nodes, "road_edges": extract.road_edges})
        sources.update({"road_nodes": src, "road_edges": src})
        if len(extract.buildings):
            layers["buildings"] = extract.buildings
            sources["buildings"] = src
        if len(extract.cameras):
            layers["cameras"] = extract.cameras
            sources["cameras"] = src + " (man_made=surveillance)"
        summary["osm"] = extract.stats
        osm_meta = {"osm_stats": extract.stats}
    if crs is None:
        centre = shapely.union_all(bnd.geometry.to_numpy()).centroid
        crs = suggest_projected_crs(centre.x, centre.y)
    if bnd is not None:
        layers["boundary"] = bnd.to_crs(crs)
        sources["boundary"] = f"{boundary} ({boundary_coords})"
        summary["boundary"] = "file"
    elif extract is not None and len(extract.road_nodes):
        hull = shapely.convex_hull(shapely.multipoints(extract.road_nodes.geometry.to_numpy())).buffer(50)
        layers["boundary"] = gpd.GeoDataFrame({"name": [f"extent of {Path(str(osm or place)).name}"]},
                                              geometry=[hull], crs=crs)
        sources["boundary"] = "derived: convex hull of the road nodes + 50 m (no --boundary given)"
        summary["boundary"] = "derived from the road network (convex hull + 50 m)"
    report("write workspace", 0.0)
    try:
        import zoneinfo

        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"--timezone {timezone!r} is not a known time zone; use e.g. Asia/Shanghai") from exc
    ws = create_workspace(path, layers, crs=crs, sources=sources, overwrite=overwrite, timezone=timezone,
                          meta={"main_highways": ["motorway", "motorway_link", "trunk", "trunk_link", "primary",
                                                  "primary_link", "secondary", "secondary_link"], **osm_meta})
    report("write workspace", 1.0)
    return ws, summary


def grid_workspace(
    ws: Workspace,
    *,
    count: int | None = None,
    target_area_m2: float | None = None,
    export_dir: str | Path = "data/grids",
    progress: Progress | None = None,
) -> tuple[Workspace, "object", Path]:
    """Build the sub-zones of a workspace, write them (layer ``subzones``) and export a copy to
    ``<export_dir>/<workspace>-subzones.gpkg``. Returns the new workspace, the result and the export."""
    import pyogrio

    from geo.subzones import build_subzones

    report = progress or _noop
    layers = {name: ws.read(name) for name in ("boundary", "stations", "communities", "neighborhoods") if ws.has(name)}
    if not ws.has("road_edges"):
        from geo.errors import InputError

        raise InputError(f"workspace '{ws.path}' has no road_edges; build it with 'patrolnet init --osm FILE' first")
    result = build_subzones(
        ws.read("road_edges"), boundary=layers.get("boundary"), stations=layers.get("stations"),
        communities=layers.get("communities"), neighborhoods=layers.get("neighborhoods"), count=count,
        target_area_m2=target_area_m2, progress=report,
    )
    report("write workspace", 0.0)
    new_ws = ws.write({"subzones": result.subzones}, meta={"subzones": {
        "count": len(result.subzones), "target_area_m2": round(result.target_area_m2, 1),
        "requested_count": count, "blocks": result.blocks, "notes": result.notes}},
        sources={"subzones": "patrolnet grid (street blocks)"})
    export = Path(export_dir) / f"{ws.path.stem}-subzones.gpkg"
    export.parent.mkdir(parents=True, exist_ok=True)
    tmp = export.with_name(f".{export.name}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    pyogrio.write_dataframe(result.subzones, tmp, layer="subzones", driver="GPKG")
    tmp.replace(export)
    report("write workspace", 1.0)
    return new_ws, result, export


def risk_weights(ws: Workspace, *, months: int = 12) -> dict[int, float]:
    """Per road edge: 1 + its street incidents of the last ``months`` per km, over the mean rate of
    the edges that had any (so a typical hot street weighs about 2 and a quiet one 1)."""
    import pandas as pd

    if not (ws.has("incidents") and ws.has("road_edges")):
        return {}
    inc = ws.read("incidents", columns=["occurred_at", "edge_id"])
    inc = inc[inc["edge_id"].notna()]
    if inc.empty:
        return {}
    since = inc["occurred_at"].max() - pd.DateOffset(months=months)
    counts = inc[inc["occurred_at"] > since]["edge_id"].astype("int64").value_counts()
    edges = ws.read("road_edges", columns=["edge_id", "length_m"])
    length_km = edges.set_index("edge_id")["length_m"].astype(float) / 1000.0
    rate = (counts / length_km.reindex(counts.index)).dropna()
    if rate.empty:
        return {}
    scale = float(rate.mean())
    return {int(e): 1.0 + float(r) / scale for e, r in rate.items()}


def split_workspace(
    ws: Workspace,
    *,
    brigade_units: int | None = None,
    risk_weighted: bool = False,
    export_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> tuple[Workspace, dict, dict[str, Path]]:
    """The coverage split: owners of every road edge, brigade beats, grid-team areas; written to the
    workspace and (optionally) exported as GeoJSON in WGS84."""
    from routing.split import split_layers

    report = progress or _noop
    report("split", 0.0)
    weight = risk_weights(ws) if risk_weighted else None
    layers = split_layers(ws, k=brigade_units, weight=weight or None)
    report("split", 0.8)
    summary = layers.pop("split_summary")
    balance = {k: (v if isinstance(v, int | float | str | bool) or v is None else str(v))
               for k, v in summary.attrs.items() if not isinstance(v, list | dict)}
    import geopandas as gpd

    layers["split_summary"] = summary.drop(columns=[c for c in summary.columns
                                                    if isinstance(summary[c].dtype, gpd.array.GeometryDtype)])
    new_ws = ws.write(layers, meta={"split": {"balance": balance, "risk_weighted": risk_weighted,
                                              "brigade_units": brigade_units}},
                      sources={name: "patrolnet split" for name in layers})
    exports: dict[str, Path] = {}
    if export_dir is not None:
        out = Path(export_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("edge_owners", "beats", "grid_team_areas"):
            if name in layers:
                path = out / f"{ws.path.stem}-{name}.geojson"
                layers[name].to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
                exports[name] = path
        table = out / f"{ws.path.stem}-split-summary.csv"
        from geo.writers import write_safe_csv

        write_safe_csv(layers["split_summary"], table)
        exports["split_summary"] = table
    report("split", 1.0)
    return new_ws, {"summary": layers["split_summary"], "balance": balance}, exports
