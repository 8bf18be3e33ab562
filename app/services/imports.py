"""Import a table file into a workspace layer, in one atomic step, with a per-row report.

The steps: read the file (:func:`geo.tables.read_table`), map its columns, check every row
(:func:`geo.tables.prepare_rows`), put incidents in their places (snap street incidents to the road,
tag station, community, neighborhood and sub-zone), then write the layer atomically. Rejected rows go
to a CSV report beside the input (or beside the workspace file, or in the current folder for a
workspace in PostgreSQL, when the input's folder is read-only): the
columns of :func:`geo.tables.prepare_rows` (the English ``reason`` with its key and values), then the
reason in the import's language (:data:`REASON_HEADERS`), for whoever opens it in Excel.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.i18n import DEFAULT_LANG, normalize_lang, said_reason
from app.services.backups import backup_before
from app.services.categories import workspace_categories
from app.storage import is_url, location_of
from app.storage.workspace import Workspace
from geo.assign import snap_to_edges, tag_areas
from geo.coords import COORD_SYSTEM_NAMES, SHIFTED_SYSTEMS, coord_system
from geo.errors import InputError
from geo.hostile import check_upload
from geo.progress import Progress, no_progress
from geo.repair import repair_geometries
from geo.tables import IMPORTABLE_LAYERS, ImportResult, guess_column_map, prepare_rows, read_table
from geo.writers import write_safe_csv

__all__ = [
    "REASON_HEADERS",
    "import_file",
    "import_table",
    "place_incidents",
    "read_boundary",
    "reasons_in",
    "reject_report_name",
    "write_reject_report",
]

#: The header of the rejected-rows report's column that says each reason in the import's language.
REASON_HEADERS = {"zh-CN": "说明", "en": "explanation"}

_ID_COLUMNS = {"incidents": "incident_id", "cameras": "camera_id", "units": "unit_id",
               "stations": "station_id", "communities": "community_id", "neighborhoods": "neighborhood_id",
               "tracks": "ping_id"}


def place_incidents(
    incidents: gpd.GeoDataFrame,
    ws: Workspace,
    *,
    street_max_m: float = 30.0,
    snap_max_m: float = 100.0,
) -> gpd.GeoDataFrame:
    """Tag incidents with station, community, neighborhood and sub-zone; snap street incidents.

    ``place_kind`` left empty is inferred: inside a neighborhood polygon -> ``neighborhood``;
    otherwise ``street``. Street incidents within ``snap_max_m`` of a road edge are moved onto it
    (``edge_id``, ``snap_distance_m``; the source position is kept in ``source_x``/``source_y``).
    """
    out = incidents.copy()
    areas = {}
    for column, layer, id_col in (("station_id", "stations", "station_id"),
                                  ("community_id", "communities", "community_id"),
                                  ("neighborhood_id", "neighborhoods", "neighborhood_id"),
                                  ("subzone_id", "subzones", "subzone_id")):
        if ws.has(layer):
            areas[column] = (ws.read(layer, columns=[id_col]), id_col)
    tags = tag_areas(out.geometry, areas)
    for column in ("station_id", "community_id", "neighborhood_id", "subzone_id"):
        given = out[column].astype("string") if column in out.columns else pd.Series(pd.NA, index=out.index, dtype="string")
        out[column] = given.fillna(tags[column]) if column in tags.columns else given
    kind = out["place_kind"].astype("string") if "place_kind" in out.columns else pd.Series(pd.NA, index=out.index, dtype="string")
    inferred = np.where(out["neighborhood_id"].notna(), "neighborhood", "street")
    out["place_kind"] = kind.fillna(pd.Series(inferred, index=out.index, dtype="string"))
    out["source_x"] = shapely.get_x(out.geometry.to_numpy())
    out["source_y"] = shapely.get_y(out.geometry.to_numpy())
    out["edge_id"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["snap_distance_m"] = np.nan
    if ws.has("road_edges") and len(out):
        edges = ws.read("road_edges", columns=["edge_id", "u", "v", "key"])
        street = (out["place_kind"] == "street").to_numpy()
        snap = snap_to_edges(out.geometry[street], edges, max_distance_m=snap_max_m)
        out.loc[street, "edge_id"] = snap["edge_id"].to_numpy()
        out.loc[street, "snap_distance_m"] = snap["snap_distance_m"].to_numpy()
        geoms = out.geometry.to_numpy().copy()
        moved = street.copy()
        moved[street] = snap["edge_id"].notna().to_numpy()
        geoms[moved] = snap["snapped"].to_numpy()[snap["edge_id"].notna().to_numpy()]
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return out


def complete_areas(frame: gpd.GeoDataFrame, layer: str, ws: Workspace) -> gpd.GeoDataFrame:
    """Fill the derived columns of imported polygon layers.

    Station and community ids come from the names given (``station_name``/``community_name``
    matched against the workspace's layers) or else from the layer that holds the polygon's
    representative point; a station's site and a community's police office default to that point.
    """
    out = frame.copy()
    rep = out.geometry.representative_point()
    if layer == "stations":
        for col, fn in (("site_x", shapely.get_x), ("site_y", shapely.get_y)):
            if col not in out:
                out[col] = fn(rep.to_numpy())
        return out
    lookups = {"station_id": ("stations", "station_name"), "community_id": ("communities", "community_name")}
    wanted = ["station_id"] + (["community_id"] if layer == "neighborhoods" else [])
    for col in wanted:
        source_layer, name_col = lookups[col]
        given = out[col].astype("string") if col in out else pd.Series(pd.NA, index=out.index, dtype="string")
        if ws.has(source_layer):
            areas = ws.read(source_layer, columns=[col, "name"])
            if name_col in out:
                by_name = dict(zip(areas["name"].astype(str), areas[col].astype(str)))
                given = given.fillna(out[name_col].astype("string").map(by_name).astype("string"))
            tags = tag_areas(gpd.GeoSeries(rep, crs=out.crs), {col: (areas, col)})
            given = given.fillna(tags[col])
        out[col] = given
    if layer == "communities":
        if "office_name" not in out:
            out["office_name"] = out["name"].astype("string") + "警务室"
        out["office_name"] = out["office_name"].fillna(out["name"].astype("string") + "警务室")
        for col, fn in (("office_x", shapely.get_x), ("office_y", shapely.get_y)):
            if col not in out:
                out[col] = fn(rep.to_numpy())
    return out


def reasons_in(rejected: pd.DataFrame, lang: str) -> pd.Series:
    """Each rejected row's reason in ``lang`` (its ``reason_code`` and ``reason_values`` said with
    :func:`app.i18n.said_reason`; the English ``reason`` when a row has no key)."""
    codes = rejected["reason_code"] if "reason_code" in rejected else pd.Series(None, index=rejected.index)
    values = rejected["reason_values"] if "reason_values" in rejected else pd.Series(None, index=rejected.index)
    english = rejected["reason"] if "reason" in rejected else pd.Series("", index=rejected.index)
    return pd.Series([said_reason(c, v, e, lang) for c, v, e in zip(codes, values, english)],
                     index=rejected.index, dtype=object)


def reject_report_name(source: str | Path) -> str:
    """The name of an import's per-row report of ``source``: ``<file name without extension>-rejected.csv``
    (``警情_六月.csv`` -> ``警情_六月-rejected.csv``)."""
    return f"{Path(source).stem}-rejected.csv"


def write_reject_report(result: ImportResult, *, fallback_dir: Path, lang: str = DEFAULT_LANG) -> Path | None:
    """Write the rejected rows as CSV (UTF-8 with BOM, opens in Excel) beside the input: the columns
    of ``result.rejected``, then the reason in ``lang`` (headed :data:`REASON_HEADERS`).

    Returns the path, or None when no row was rejected.
    """
    if result.rejected.empty:
        return None
    lang = normalize_lang(lang)
    table = result.rejected.copy()
    table[REASON_HEADERS[lang]] = reasons_in(table, lang)
    name = reject_report_name(result.source)
    for folder in (result.source.parent, fallback_dir):
        target = folder / name
        try:
            # the value column holds raw user cells: neutralise formulas and stray line breaks
            return write_safe_csv(table, target)
        except OSError:
            continue
    raise InputError(f"cannot write the rejection report {name} beside the input or in {fallback_dir}",
                     code="import.report_unwritable", name=name)


def import_table(
    ws: Workspace,
    layer: str,
    path: str | Path,
    *,
    column_map: Mapping[str, str] | None = None,
    coords: str = "wgs84",
    timezone: str | None = None,
    strict: bool = False,
    replace: bool = False,
    tolerance_m: float = 200.0,
    category_map: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    snap_max_m: float = 100.0,
    keep_duplicates: bool = False,
    set_values: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    lang: str = DEFAULT_LANG,
) -> tuple[Workspace, ImportResult, Path | None]:
    """Import ``path`` into ``layer`` of ``ws``; return the new workspace, the result and the report path.

    The rows only: the use case of the shells is :func:`import_file`, which backs the workspace up
    first.

    Parameters
    ----------
    coords
        ``wgs84``, ``gcj02``, ``bd09``, ``cgcs2000`` or ``EPSG:NNNN`` (for projected X/Y columns).
    strict
        Refuse the whole file when any row is rejected (the report is still written).
    replace
        Replace the layer instead of appending to it (appending refuses ids already present).
    set_values
        Columns given one value for the whole file (``{"unit_id": "U0001"}`` for a GPX of one
        unit), in place of a column of the file.
    tolerance_m
        How far outside the workspace boundary a point may lie and still be accepted.
    lang
        The language of the report's added reason column (``zh-CN`` or ``en``).

    Raises
    ------
    InputError
        Unreadable file, no usable columns, or (with ``strict``) any rejected row. The workspace is
        untouched then.
    """
    report = progress or no_progress
    path = Path(path)
    report("read", 0.0)
    frame, enc = read_table(path, encoding=encoding, sheet=sheet)
    report("read", 1.0)
    given = dict(column_map or {})
    for col, value in (set_values or {}).items():
        frame[col] = value
        given[col] = col
    mapping = guess_column_map(list(frame.columns), layer, given=given)
    boundary = None
    if ws.has("boundary"):
        b = ws.read("boundary")
        if len(b):
            boundary = shapely.union_all(b.geometry.to_numpy())
    id_col = _ID_COLUMNS[layer]
    existing: set[str] = set()
    current = None
    if ws.has(layer) and not replace:
        current = ws.read(layer)
        existing = set(current[id_col].astype(str))
    report("check rows", 0.0)
    accepted, rejected = prepare_rows(
        frame, layer, column_map=mapping, coords=coords, crs=ws.crs, timezone=timezone or ws.timezone,
        boundary=boundary, tolerance_m=tolerance_m, category_map=category_map, existing_ids=existing,
        id_prefix=f"{path.name.split('.')[0]}:", keep_duplicates=keep_duplicates,
        categories=workspace_categories(ws),
    )
    report("check rows", 1.0)
    result = ImportResult(layer=layer, source=path, rows_read=len(frame), accepted=accepted,
                          rejected=rejected, column_map=mapping, coords=coords, encoding=enc)
    # a read-only input folder: the report goes beside the workspace file, or (a workspace in
    # PostgreSQL has no folder) in the current one
    fallback = Path.cwd() if is_url(location_of(ws)) else ws.path.parent
    report_path = write_reject_report(result, fallback_dir=fallback, lang=lang)
    if strict and result.rejected_rows:
        first = rejected.iloc[0]
        raise InputError(
            f"'{path}': {result.rejected_rows} of {len(frame)} rows rejected (--strict: nothing imported); "
            f"first: row {first['row']}, column {first['column']}: {first['reason']}; "
            f"all reasons in {report_path}",
            code="import.strict", name=path.name, rejected=result.rejected_rows, rows=len(frame),
            row=str(first["row"]), column=str(first["column"]), reason=str(first["reason"]),
        )
    if len(accepted) == 0:
        raise InputError(
            f"'{path}': no row could be imported ({result.rejected_rows} rejected); reasons in {report_path}",
            code="import.nothing", name=path.name, rejected=result.rejected_rows,
        )
    if layer == "incidents":
        report("place incidents", 0.0)
        accepted = place_incidents(accepted, ws, snap_max_m=snap_max_m)
        report("place incidents", 1.0)
    if layer in ("stations", "communities", "neighborhoods"):
        accepted = complete_areas(accepted, layer, ws)
    if current is not None and len(current):
        accepted = pd.concat([current, accepted.to_crs(current.crs)], ignore_index=True)
        accepted = gpd.GeoDataFrame(accepted, geometry=current.geometry.name, crs=current.crs)
    report("write workspace", 0.0)
    new_ws = ws.write({layer: accepted}, sources={layer: str(path)})
    report("write workspace", 1.0)
    return new_ws, result, report_path


def import_file(ws: Workspace, layer: str, path: str | Path, **options: Any) -> tuple[Workspace, ImportResult, Path | None]:
    """The import of both shells (``patrolnet import``, ``POST /api/v1/imports``): keep the workspace's
    state first, then :func:`import_table` with ``options``.

    Keeping the state first: a ``.gpkg`` workspace is backed up (reason ``before-import-<layer>``,
    :func:`app.services.backups.backup_before`; ``patrolnet restore`` brings it back). A workspace in
    PostgreSQL (``postgresql://``) gets no file backup: the write is one transaction of
    :meth:`app.storage.pg_layers.PgWorkspace.write` (the layer and ``meta`` together, under the
    schema's writer lock), so a failed import writes nothing and readers see the layer before or
    after it, never half of it; the database's backups are ``pg_dump``'s (docs/deployment.md).

    Raises
    ------
    InputError
        A layer that cannot be imported (code ``param.layer``), or as :func:`import_table`.
    WorkspaceError
        The workspace file is open for writing in another program.
    """
    check_layer(layer)
    if not is_url(location_of(ws)):  # PostgreSQL: the transaction is the safety, not a copy
        backup_before(ws.path, f"before-import-{layer}")
    return import_table(ws, layer, path, **options)


def check_layer(layer: str) -> str:
    """A layer a table can be imported into (:data:`geo.tables.IMPORTABLE_LAYERS`).

    Raises
    ------
    InputError
        Any other; code ``param.layer``.
    """
    if layer not in IMPORTABLE_LAYERS:
        raise InputError(f"LAYER {layer!r} cannot be imported; choose one of {', '.join(IMPORTABLE_LAYERS)}",
                         code="param.layer", layer=layer, layers=", ".join(IMPORTABLE_LAYERS))
    return layer


def read_boundary(path: str | Path, *, coords: str = "wgs84") -> gpd.GeoDataFrame:
    """Read a district boundary file (GeoJSON, GeoPackage, Shapefile) as WGS84 polygons.

    ``coords`` names the coordinate system of a file in degrees: ``wgs84`` (also CGCS2000), or
    ``gcj02`` / ``bd09`` for boundaries taken from Chinese web maps (DataV GeoAtlas, AMap, Baidu),
    which are converted to WGS84. A file in a projected CRS is reprojected as it declares.

    Raises
    ------
    InputError
        Missing or unreadable file, or no polygon in it.
    """
    from geo.tables import _transform_geom  # the same conversion as for imported polygon layers

    path = Path(path)
    if not path.exists():
        raise InputError(f"boundary file '{path}' does not exist; check the path", code="import.missing",
                         name=path.name)
    check_upload(path, max_bytes=512 * 1024**2,
                 allowed_suffixes={".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml", ".kmz"})
    try:
        frame = pyogrio_read(path)
    except Exception as exc:
        raise InputError(f"boundary file '{path}' is not readable as geodata ({exc})", code="import.unreadable",
                         name=path.name, reason=str(exc)) from exc
    polys = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])].copy()
    if polys.empty:
        raise InputError(f"boundary file '{path}' holds no polygon; give the district's outline as polygons",
                         code="boundary.no_polygon", name=path.name)
    if polys.crs is None:
        polys = polys.set_crs("EPSG:4326")
    key = coord_system(coords)
    if key in SHIFTED_SYSTEMS:
        if not polys.crs.is_geographic:
            raise InputError(f"--boundary-coords {coords}: '{path}' is in {polys.crs.to_string()}, not degrees",
                             code="boundary.not_degrees", name=path.name, coords=coords, crs=polys.crs.to_string())
        polys = polys.set_geometry(
            gpd.GeoSeries([_transform_geom(g, key) for g in polys.geometry], index=polys.index, crs="EPSG:4326"))
    elif key is None:
        raise InputError(f"--boundary-coords {coords!r}: use {', '.join(COORD_SYSTEM_NAMES[:-1])} or {COORD_SYSTEM_NAMES[-1]}",
                         code="coords.unknown", value=str(coords), known=", ".join(COORD_SYSTEM_NAMES))
    polys = polys.to_crs("EPSG:4326")
    polys, problems = repair_geometries(polys, layer="boundary", expected="Polygon", crs="EPSG:4326")
    if polys.empty:
        first = problems.iloc[0]["reason"] if len(problems) else "no usable polygon"
        raise InputError(f"boundary file '{path}': no usable polygon ({first}); fix the outline and try again",
                         code="boundary.unusable", name=path.name, reason=str(first))
    keep = [c for c in ("name", "adcode") if c in polys.columns]
    out = polys[keep + ["geometry"]].copy()
    if "name" not in out:
        out["name"] = path.stem
    out["name"] = out["name"].astype("string")
    if "adcode" in out:
        out["adcode"] = out["adcode"].astype("string")
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs="EPSG:4326")


def pyogrio_read(path: Path) -> gpd.GeoDataFrame:
    import pyogrio

    return pyogrio.read_dataframe(path)
