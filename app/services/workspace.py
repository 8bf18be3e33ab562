"""Making a workspace: the demo district (with its demo users) and a new workspace from OSM data
and/or a boundary. A workspace about to be replaced is backed up first
(:func:`app.services.backups.backup_before`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path
from typing import Any

from app.services.backups import backup_before
from app.services.imports import read_boundary
from app.services.workspace_copy import copy_workspace
from app.storage import is_url, open_store
from app.storage.pg import parse_location
from app.storage.pg_layers import connect, public_url
from app.storage.users import DEMO_PASSWORD, UserStore
from app.storage.workspace import Workspace, create_workspace
from geo.errors import InputError, WorkspaceError
from geo.progress import Progress, no_progress
from geo.schema import DEFAULT_TIMEZONE, MAIN_HIGHWAYS

__all__ = ["DEMO_USERS", "build_demo_workspace", "ensure_demo_users", "init_workspace", "known_ids",
           "open_demo_workspace", "open_workspace"]

#: The demo's users: (user name, role, station id or None, unit id or None). Station users for the three
#: stations the article names, an officer of the brigade's first car; their password is
#: :data:`app.storage.users.DEMO_PASSWORD`, shown on the demo's login page.
DEMO_USERS = (
    ("admin", "admin", None, None), ("zhihui", "commander", None, None), ("fenxi", "analyst", None, None),
    ("beihu", "station", "S01", None), ("baoshi", "station", "S02", None), ("zhushan", "station", "S03", None),
    ("xunluo", "officer", None, "U0001"),
)


def known_ids(ws: Any, layer: str, column: str) -> set[str] | None:
    """The ids of a layer's features (``stations``' station_id, ``units``' unit_id), to check a
    user's station or unit against; ``None`` when the workspace has no such layer (nothing to check)."""
    if not ws.has(layer):
        return None
    return set(ws.read(layer, columns=[column])[column].astype(str))


def open_workspace(path: str | Path) -> Workspace:
    """The workspace at ``path``: a ``.gpkg`` file or a ``postgresql://...?schema=NAME`` location
    (:func:`app.storage.open_workspace`).

    Raises
    ------
    WorkspaceError
        Missing, or not a patrolnet workspace.
    """
    return open_store(path).workspace()  # type: ignore[return-value]


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
    atomically, so an interrupted build leaves no half-written workspace behind. A workspace it
    replaces (``overwrite``) is backed up first.
    """
    from geo.demo import build_demo

    report = progress or no_progress
    if overwrite and Path(path).exists():
        backup_before(path, "before-demo-rebuild")
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


def open_demo_workspace(path: str | Path) -> Workspace:
    """An existing demo workspace, given its demo users if it has no users yet
    (:func:`ensure_demo_users`)."""
    ws = Workspace(path)
    ensure_demo_users(ws)
    return ws


def ensure_demo_users(ws: Workspace) -> list[str]:
    """Give a demo workspace its demo users (:data:`DEMO_USERS`) when it has no users yet; the user
    names added. Only ``patrolnet demo`` calls this, and only a workspace built by the demo generator
    (``meta.demo_generator``) gets them: a real workspace never gets a default password, even when
    ``patrolnet demo --workspace`` is pointed at it."""
    if "demo_generator" not in ws.meta:  # never a published password on a real workspace
        return []
    store = UserStore(ws.path)
    if store.list():
        return []
    names = {}
    for layer, column in (("stations", "station_id"), ("units", "unit_id")):
        if ws.has(layer):
            rows = ws.read(layer, columns=[column, "name"])
            names.update(zip(rows[column].astype(str), rows["name"].astype(str)))
    labels = {"admin": "系统管理员", "commander": "指挥长", "analyst": "分析员"}
    added = []
    for username, role, station, unit in DEMO_USERS:
        if (station is not None and station not in names) or (unit is not None and unit not in names):
            continue
        store.add(username, DEMO_PASSWORD, role, station_id=station, unit_id=unit, demo=True,
                  display_name=names.get(station or unit or "", labels.get(role, "")) + "（演示）")
        added.append(username)
    return added


def check_timezone(timezone: str) -> str:
    """An IANA time zone name, as given.

    Raises
    ------
    InputError
        Not a known time zone; code ``param.timezone``.
    """
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"--timezone {timezone!r} is not a known time zone; use e.g. {DEFAULT_TIMEZONE}",
                         code="param.timezone", value=timezone) from exc
    return timezone


def init_workspace(
    path: str | Path,
    *,
    osm: str | Path | None = None,
    place: str | None = None,
    boundary: str | Path | None = None,
    boundary_coords: str = "wgs84",
    crs: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> tuple[Workspace, dict[str, Any]]:
    """Create a workspace from an OSM extract (or a place name, online only) and/or a boundary.

    Returns the workspace and a summary (OSM statistics, where the boundary came from). A workspace
    it replaces (``overwrite``) is backed up first. ``path`` may be a ``postgresql://...?schema=NAME``
    location: the workspace is made in a new schema (:func:`_init_in_database`).

    Raises
    ------
    InputError
        Nothing to build from, both an extract and a place, a bad boundary or time zone.
    WorkspaceError
        A ``postgresql://`` location whose schema already holds tables (``storage.pg_init_exists``).
    """
    if is_url(path):
        return _init_in_database(str(path), osm=osm, place=place, boundary=boundary,
                                 boundary_coords=boundary_coords, crs=crs, timezone=timezone, progress=progress)
    import geopandas as gpd
    import shapely

    from geo.coords import suggest_projected_crs

    report = progress or no_progress
    if osm is not None and not Path(osm).exists():
        raise InputError(f"--osm '{osm}' does not exist; download the extract on a connected machine and pass its path",
                         code="osm.missing", name=Path(osm).name)
    if overwrite and Path(path).exists():
        backup_before(path, "before-init")
    if osm is None and place is None and boundary is None and crs is None:
        raise InputError("nothing to build from: pass --osm FILE (or --place NAME online), --boundary FILE or --crs",
                         code="init.nothing")
    if osm is not None and place is not None:
        raise InputError("pass either --osm FILE or --place NAME, not both", code="init.osm_and_place")
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
    check_timezone(timezone)
    ws = create_workspace(path, layers, crs=crs, sources=sources, overwrite=overwrite, timezone=timezone,
                          meta={"main_highways": list(MAIN_HIGHWAYS), **osm_meta})
    report("write workspace", 1.0)
    return ws, summary


def _init_in_database(url: str, **options: Any) -> tuple[Workspace, dict[str, Any]]:
    """``patrolnet init`` of a ``postgresql://`` location: the workspace is made as a ``.gpkg`` file in
    a temporary folder and copied into a new schema in one transaction
    (:func:`app.services.workspace_copy.copy_workspace`: nothing is left in the database when it
    fails). A schema that already holds tables is refused, with or without ``overwrite``: replacing it
    would drop its users, records and audit log with it (a file's stay beside it); that is the
    database administrator's decision, after a ``pg_dump``.

    Raises
    ------
    WorkspaceError
        The schema already holds tables (``storage.pg_init_exists``), or the server refused the copy.
    """
    import tempfile

    shown = public_url(url)
    schema = parse_location(url)[1]
    with connect(url) as con:  # refused before the extract is read, not after
        tables = con.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = %s", (schema,)).fetchone()[0]
    if tables:
        raise WorkspaceError(
            f"schema '{schema}' of {shown} already holds tables; 'patrolnet init' makes a workspace in a new "
            f"schema and does not replace one (its users, records and audit log would go with it): give a new "
            f"schema (?schema=NAME), or have the database's administrator drop that one after a pg_dump",
            code="storage.pg_init_exists", url=shown, schema=schema, command="init")
    with tempfile.TemporaryDirectory(prefix="patrolnet-init-") as folder:
        made, summary = init_workspace(Path(folder) / f"{schema}.gpkg", **options)
        copied = copy_workspace(made.path, url)
    summary["copy"] = copied.as_dict()
    return open_workspace(url), summary
