"""Read OpenStreetMap extracts into workspace layers (roads, buildings, cameras).

Everything here works offline: :func:`read_osm` reads a local ``.osm`` (XML), ``.osm.bz2``,
``.osm.gz`` or ``.osm.pbf`` file with pyosmium in one streaming pass (two when building
multipolygons are assembled) and returns GeoDataFrames in a projected working CRS. Only
:func:`place_download` needs the internet; without it, it fails within seconds with
:class:`~geo.errors.OfflineError`.

Road graph
----------
The road layers follow osmnx's conventions so that ``osmnx.graph_from_gdfs`` turns them into a
routable ``MultiDiGraph`` (see :meth:`OsmExtract.to_graph`):

* nodes are intersections (a node used by two or more road ways, or twice by one way), the ends
  of every way and dead ends; intermediate nodes become edge geometry;
* a two-way road is stored once per direction (``u -> v`` and ``v -> u``, each geometry drawn
  from its ``u`` to its ``v``), a one-way road once, in the direction of travel;
* ``oneway=yes/true/1`` is one-way along the way, ``oneway=-1/reverse`` against it,
  ``junction=roundabout/circular`` and ``highway=motorway`` imply one-way unless ``oneway=no``.

Unlike osmnx 2, an edge never spans two OSM ways (osmnx merges ways that meet end to end at a
node with no third street); every edge therefore carries exactly one way's tags (highway class,
name), which the coverage split relies on. Total road length is the same either way.

Clipped extracts
----------------
Bounding-box extracts (Geofabrik, BBBike, ``osmium extract``) keep ways that cross the box edge
but drop their outside nodes. Such ways are split at the missing nodes; every run of two or more
present nodes is kept and counted in :attr:`OsmExtract.stats`.
"""

from __future__ import annotations

import bz2
import gzip
import json
import math
import os
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.coords import suggest_projected_crs
from geo.crs import require_projected
from geo.errors import CRSError, InputError, OfflineError
from geo.hostile import check_xml
from geo.progress import Progress, no_progress

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "ROAD_KINDS",
    "OsmExtract",
    "read_osm",
    "place_download",
    "parse_direction",
    "camera_kind",
]

#: ``highway=*`` values that become road edges (drivable and walkable ways).
ROAD_KINDS: frozenset[str] = frozenset(
    {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
        "pedestrian",
        "footway",
        "path",
        "cycleway",
        "steps",
        "track",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
    }
)

#: ``oneway`` values meaning one-way (as osmnx, which also honours the Geofabrik ``T``/``F``).
_ONEWAY_YES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
_ONEWAY_REVERSED = frozenset({"-1", "reverse", "T"})
_ONEWAY_NO = frozenset({"no", "false", "0"})
_IMPLIED_ONEWAY_HIGHWAY = frozenset({"motorway"})
_IMPLIED_ONEWAY_JUNCTION = frozenset({"roundabout", "circular"})

#: Way tags copied to edge columns: column -> OSM key.
_EDGE_TAGS: dict[str, str] = {
    "name": "name",
    "name_en": "name:en",
    "ref": "ref",
    "maxspeed": "maxspeed",
    "lanes": "lanes",
    "service": "service",
    "access": "access",
    "junction": "junction",
}
_EDGE_COLUMNS = [
    "edge_id", "u", "v", "key", "osmid", "highway", "name", "oneway", "maxspeed", "bridge",
    "length_m", "name_en", "ref", "lanes", "service", "access", "junction", "tunnel", "reversed",
]
_NODE_COLUMNS = ["node_id", "x", "y", "street_count"]
_BUILDING_COLUMNS = ["osm_id", "osm_type", "building", "name", "levels"]
_CAMERA_COLUMNS = [
    "camera_id", "kind", "bearing_deg", "fov_deg", "range_m", "owner", "neighborhood_id",
    "osm_id", "osm_tags",
]
#: Keys naming the kind of a dropped non-road way, in order of precedence.
_DROP_KEYS = (
    "railway", "waterway", "landuse", "natural", "leisure", "amenity", "barrier", "man_made",
    "boundary", "power", "place", "public_transport", "area:highway", "indoor", "tourism",
    "historic", "shop", "office", "aeroway", "route", "type",
)
_CARDINALS = (
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
)
_FIX_FILE = (
    "re-download or re-export the extract (Geofabrik/BBBike .osm.pbf, an Overpass or JOSM .osm "
    "export) and pass it with --osm FILE"
)


@dataclass
class OsmExtract:
    """The layers read from one OSM extract, all in the projected working CRS.

    Attributes
    ----------
    crs
        Working CRS as ``"EPSG:NNNN"`` (or the string given to :func:`read_osm`).
    road_nodes
        Intersections and dead ends: ``node_id, x, y, street_count`` (+ geometry).
    road_edges
        Directed edges: ``edge_id, u, v, key, osmid, highway, name, oneway, maxspeed, bridge,
        length_m`` plus ``name_en, ref, lanes, service, access, junction, tunnel, reversed``.
    buildings
        Building polygons: ``osm_id, osm_type ("way"/"relation"), building, name, levels``.
    cameras
        ``man_made=surveillance`` nodes in the ``cameras`` schema plus ``osm_id`` and ``osm_tags``
        (the node's tags as JSON).
    stats
        Counts and timings of the read (see :func:`read_osm`).
    source
        The file read.
    """

    crs: str
    road_nodes: gpd.GeoDataFrame
    road_edges: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    cameras: gpd.GeoDataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Workspace layers by name, ready for :func:`app.storage.workspace.create_workspace`."""
        return {
            "road_nodes": self.road_nodes,
            "road_edges": self.road_edges,
            "cameras": self.cameras,
            "buildings": self.buildings,
        }

    def to_graph(self) -> nx.MultiDiGraph:
        """The road network as an osmnx ``MultiDiGraph`` (node ids = OSM ids, ``length`` in m)."""
        import osmnx as ox

        nodes = self.road_nodes.set_index("node_id", drop=False)
        nodes.index.name = "osmid"
        edges = self.road_edges.assign(length=self.road_edges["length_m"])
        edges = edges.set_index(["u", "v", "key"], drop=False)
        edges.index.names = ["u", "v", "key"]
        edges = edges.drop(columns=["u", "v", "key"])
        return ox.convert.graph_from_gdfs(nodes, edges, graph_attrs={"crs": self.crs})


# --------------------------------------------------------------------------------------------
# tag helpers


def parse_direction(value: str | None) -> float:
    """A camera direction tag as degrees clockwise from north, or NaN.

    Accepts numbers (``"45"``, ``"45.5°"``), 16-point cardinals (``"NE"``, ``"wsw"``), ranges
    (``"0-90"``: the middle, going clockwise) and lists (``"45;135"``: the first).
    """
    if value is None:
        return math.nan
    text = str(value).split(";")[0].strip().upper().replace("°", "")
    if not text:
        return math.nan
    if text in _CARDINALS:
        return _CARDINALS.index(text) * 22.5
    if "-" in text[1:]:
        head, _, tail = text[1:].partition("-")
        a, b = parse_direction(text[0] + head), parse_direction(tail)
        if math.isnan(a) or math.isnan(b):
            return math.nan
        return (a + ((b - a) % 360.0) / 2.0) % 360.0
    try:
        deg = float(text)
    except ValueError:
        return math.nan
    return deg % 360.0 if math.isfinite(deg) else math.nan


def camera_kind(tags: dict[str, str]) -> str:
    """Schema camera kind for a node's OSM tags.

    ``surveillance:type=ALPR``, ``camera:type=speed`` or ``highway=speed_camera`` -> ``speed``;
    ``camera:type=dome/panning`` or ``revolving=yes`` -> ``dome``; ``camera:type=fixed`` and
    anything else -> ``bullet``.
    """
    stype = tags.get("surveillance:type", "").strip().lower()
    ctype = tags.get("camera:type", "").strip().lower()
    if stype in ("alpr", "speed") or ctype in ("alpr", "speed") or tags.get("highway") == "speed_camera":
        return "speed"
    if ctype in ("dome", "panning") or tags.get("revolving", "").strip().lower() == "yes":
        return "dome"
    return "bullet"


def _camera_owner(tags: dict[str, str]) -> str:
    operator = tags.get("operator", "").strip()
    if operator:
        return operator
    area = tags.get("surveillance", "").strip().lower()
    return area or "unknown"


def _is_oneway(tags: dict[str, str]) -> tuple[bool, bool]:
    """(one-way, reversed) for a road way's tags."""
    value = tags.get("oneway")
    if value is not None:
        value = value.strip()
        if value in _ONEWAY_YES or value.lower() in _ONEWAY_YES:
            return True, value in _ONEWAY_REVERSED or value.lower() in _ONEWAY_REVERSED
        if value.lower() in _ONEWAY_NO:
            return False, False
    if tags.get("junction") in _IMPLIED_ONEWAY_JUNCTION:
        return True, False
    if tags.get("highway") in _IMPLIED_ONEWAY_HIGHWAY:
        return True, False
    return False, False


def _yes(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("no", "false", "0", "")


def _drop_kind(tags: dict[str, str]) -> str:
    if not tags:
        return "untagged"
    hw = tags.get("highway")
    if hw is not None:
        return f"highway={hw}" + (" area=yes" if tags.get("area") == "yes" else "")
    for key in _DROP_KEYS:
        if key in tags:
            return key
    return "other"


# --------------------------------------------------------------------------------------------
# file checks


def _sniff_format(path: Path) -> str:
    """The osmium format string of ``path`` from its first bytes (and suffix for plain XML)."""
    if not path.exists():
        raise InputError(f"OSM file '{path}' does not exist; check the path or {_FIX_FILE}", code="osm.missing",
                         name=path.name)
    if path.is_dir():
        raise InputError(f"'{path}' is a folder, not an OSM file; pass the .osm/.osm.pbf file itself",
                         code="osm.folder", name=path.name)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise InputError(f"cannot read OSM file '{path}': {exc.strerror}; check its permissions",
                         code="osm.unreadable", name=path.name, reason=str(exc.strerror)) from exc
    if size == 0:
        raise InputError(f"OSM file '{path}' is empty (0 bytes); {_FIX_FILE}", code="osm.empty", name=path.name)
    if head.startswith(b"BZh"):
        return "osm.bz2"
    if head.startswith(b"\x1f\x8b"):
        return "osm.gz"
    if len(head) >= 16 and b"OSMHeader" in head[:32]:
        return "pbf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "osm"
    if text.startswith(b"\xffo5m") or head[:2] == b"\xff\xe0":
        return "o5m"
    snippet = head[:24].decode("utf-8", "replace").replace("\n", "\\n")
    raise InputError(
        f"'{path}' is not an OSM file (it starts with {snippet!r}, not XML, PBF, bzip2 or gzip); "
        f"{_FIX_FILE}",
        code="osm.not_osm", name=path.name,
    )


def _check_compressed_xml(path: Path, fmt: str) -> None:
    """Catch a compressed file whose content is not OSM XML before osmium reports a parse error."""
    opener = {"osm.bz2": bz2.open, "osm.gz": gzip.open}.get(fmt)
    if opener is None:
        return
    try:
        with opener(path, "rb") as fh:
            head = fh.read(256)
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(
            f"OSM file '{path}' is a damaged {fmt.split('.')[-1]} archive ({exc}); {_FIX_FILE}",
            code="osm.damaged", name=path.name, reason=str(exc),
        ) from exc
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        snippet = head[:24].decode("utf-8", "replace").replace("\n", "\\n")
        raise InputError(
            f"'{path}' unpacks to something that is not OSM XML (it starts with {snippet!r}); "
            f"{_FIX_FILE}",
            code="osm.not_osm", name=path.name,
        )


def _working_crs(crs: str | None, lon: float, lat: float) -> str:
    if crs is None:
        return suggest_projected_crs(lon, lat)
    try:
        obj = CRS.from_user_input(crs)
    except Exception as exc:
        raise CRSError(f"unknown CRS {crs!r}; give the working CRS as EPSG:NNNN", code="crs.unknown",
                       value=str(crs)) from exc
    require_projected(obj, f"working CRS {crs!r}",
                      fix=f"use one such as {suggest_projected_crs(lon, lat)} "
                          f"(leave --crs out to pick it automatically)")
    return crs


# --------------------------------------------------------------------------------------------
# reading


@dataclass
class _Raw:
    """What one pass over the file collects."""

    coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    runs: list[list[int]] = field(default_factory=list)  # node-id runs, in travel direction
    run_way: list[int] = field(default_factory=list)  # index into ways
    ways: list[dict[str, Any]] = field(default_factory=list)  # kept road ways' attributes
    buildings: list[tuple[int, str, dict[str, str], bytes]] = field(default_factory=list)
    cameras: list[tuple[int, float, float, dict[str, str]]] = field(default_factory=list)
    missing_ids: set[int] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)


def _read_raw(path: Path, fmt: str, kinds: Collection[str], *, include_speed_cameras: bool) -> _Raw:
    import osmium
    from osmium.filter import KeyFilter, TagFilter
    from osmium.osm import NODE

    raw = _Raw()
    counts = raw.counts
    node_filter = TagFilter(("man_made", "surveillance"), ("highway", "speed_camera"))
    node_filter.enable_for(NODE)
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), fmt))
        .with_locations()
        .with_areas(KeyFilter("building"))  # assemble only building multipolygon relations
        .with_filter(node_filter)
    )
    wkb = osmium.geom.WKBFactory()
    coords = raw.coords
    for obj in processor:
        if obj.is_way():
            counts["ways_read"] += 1
            tags = obj.tags
            hw = tags.get("highway")
            if hw is None or hw not in kinds or tags.get("area") == "yes":
                if "building" in tags and hw is None:
                    counts["building_ways"] += 1
                else:
                    raw.dropped[_drop_kind(dict(tags))] += 1
                continue
            runs: list[list[int]] = []
            run: list[int] = []
            missing = 0
            for ref in obj.nodes:
                loc = ref.location
                if loc.valid():
                    nid = ref.ref
                    if run and run[-1] == nid:
                        continue
                    coords[nid] = (loc.lon, loc.lat)
                    run.append(nid)
                else:
                    missing += 1
                    raw.missing_ids.add(ref.ref)
                    if len(run) >= 2:
                        runs.append(run)
                    run = []
            if len(run) >= 2:
                runs.append(run)
            counts["road_ways"] += 1
            if missing:
                counts["road_ways_split_at_missing_nodes"] += 1
                counts["node_refs_missing"] += missing
            if not runs:
                counts["road_ways_without_usable_run"] += 1
                continue
            tagd = dict(tags)
            oneway, rev = _is_oneway(tagd)
            if not oneway:
                for i, r in enumerate(runs):
                    if len(r) >= 3 and r == r[::-1]:
                        # A-B-A: a two-way way doubling back on itself (OSMnx's XML export
                        # writes every two-way edge so); the street is A-B.
                        runs[i] = r[: len(r) // 2 + 1]
                        counts["road_ways_doubled_back"] += 1
            attrs: dict[str, Any] = {col: tagd.get(key) for col, key in _EDGE_TAGS.items()}
            attrs.update(
                osmid=obj.id,
                highway=hw,
                oneway=oneway,
                bridge=_yes(tagd.get("bridge")),
                tunnel=_yes(tagd.get("tunnel")),
            )
            counts["road_ways_kept"] += 1
            counts["road_runs"] += len(runs)
            way_index = len(raw.ways)
            raw.ways.append(attrs)
            if rev:
                runs = [r[::-1] for r in reversed(runs)]
            raw.runs.extend(runs)
            raw.run_way.extend([way_index] * len(runs))
        elif obj.is_node():
            tags = dict(obj.tags)
            is_camera = tags.get("man_made") == "surveillance"
            if tags.get("highway") == "speed_camera":
                counts["speed_camera_nodes"] += 1
                is_camera = is_camera or include_speed_cameras
            if is_camera and obj.location.valid():
                raw.cameras.append((obj.id, obj.location.lon, obj.location.lat, tags))
        elif obj.is_area():
            if "building" not in obj.tags:
                continue
            try:
                geom = wkb.create_multipolygon(obj)
            except RuntimeError:
                counts["buildings_invalid"] += 1
                continue
            kind = "way" if obj.from_way() else "relation"
            raw.buildings.append((obj.orig_id(), kind, dict(obj.tags), bytes.fromhex(geom)))
        elif obj.is_relation():
            counts["relations_read"] += 1
    return raw


def _simplify(raw: _Raw) -> tuple[list[list[int]], list[int]]:
    """Split runs at intersections; return segments (node-id lists) and their way indices."""
    occurrences: Counter[int] = Counter()
    ends: set[int] = set()
    for run in raw.runs:
        closed = run[0] == run[-1]
        occurrences.update(run[:-1] if closed else run)
        ends.add(run[0])
        ends.add(run[-1])
    junction = ends | {n for n, c in occurrences.items() if c >= 2}
    segments: list[list[int]] = []
    seg_way: list[int] = []
    for run, way in zip(raw.runs, raw.run_way, strict=True):
        start = 0
        for i in range(1, len(run)):
            if run[i] in junction:
                segments.append(run[start : i + 1])
                seg_way.append(way)
                start = i
    return segments, seg_way


_FLOAT_COLUMNS = {"bearing_deg", "fov_deg", "range_m"}


def _empty_frame(columns: list[str], crs: str) -> gpd.GeoDataFrame:
    """An empty layer with the columns (and dtypes) a filled one would have."""
    data = {
        c: pd.Series(dtype=np.int64 if c == "osm_id" else float if c in _FLOAT_COLUMNS else object)
        for c in columns
    }
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _build_roads(
    raw: _Raw, segments: list[list[int]], seg_way: list[int], crs: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Road nodes and directed edges in ``crs``."""
    node_ids = np.fromiter(raw.coords.keys(), dtype=np.int64, count=len(raw.coords))
    lonlat = np.array(list(raw.coords.values()), dtype=np.float64).reshape(-1, 2)
    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    xs, ys = transformer.transform(lonlat[:, 0], lonlat[:, 1])
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    order = np.argsort(node_ids)
    node_ids, xs, ys = node_ids[order], xs[order], ys[order]

    n_seg = len(segments)
    lengths = np.fromiter((len(s) for s in segments), dtype=np.int64, count=n_seg)
    flat_ids = np.fromiter((n for s in segments for n in s), dtype=np.int64, count=int(lengths.sum()))
    flat_pos = np.searchsorted(node_ids, flat_ids)
    seg_of_vertex = np.repeat(np.arange(n_seg), lengths)
    seg_geoms = shapely.linestrings(np.column_stack([xs[flat_pos], ys[flat_pos]]), indices=seg_of_vertex)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if n_seg else np.zeros(0, dtype=np.int64)
    seg_u = flat_ids[starts]
    seg_v = flat_ids[starts + lengths - 1]
    ways = pd.DataFrame(raw.ways)
    seg = ways.iloc[np.asarray(seg_way, dtype=np.int64)].reset_index(drop=True)
    seg["u"], seg["v"] = seg_u, seg_v
    seg["ordinal"] = np.arange(n_seg)
    seg["geometry"] = seg_geoms
    seg["length_m"] = shapely.length(seg_geoms)

    forward = seg.assign(reversed=False)
    back = seg.loc[~seg["oneway"].to_numpy(dtype=bool)].copy()
    back["u"], back["v"] = back["v"].to_numpy(), back["u"].to_numpy()
    back["geometry"] = shapely.reverse(back["geometry"].to_numpy())
    back["reversed"] = True
    edges = pd.concat([forward, back], ignore_index=True)
    edges = edges.sort_values(["u", "v", "osmid", "ordinal", "reversed"], kind="stable")
    edges["key"] = edges.groupby(["u", "v"], sort=False).cumcount().astype(np.int64)
    edges = edges.reset_index(drop=True)
    edges["edge_id"] = np.arange(len(edges), dtype=np.int64)
    edges["osmid"] = edges["osmid"].astype(str)
    for col in ("u", "v"):
        edges[col] = edges[col].astype(np.int64)
    for col in ("oneway", "bridge", "tunnel", "reversed"):
        edges[col] = edges[col].astype(bool)
    for col in ("highway", *_EDGE_TAGS):
        values = edges[col].astype(object)
        edges[col] = values.where(values.notna(), None)
    edges = gpd.GeoDataFrame(edges[_EDGE_COLUMNS], geometry=edges["geometry"].to_numpy(), crs=crs)

    used = np.unique(np.concatenate([seg_u, seg_v])) if n_seg else np.zeros(0, dtype=np.int64)
    pos = np.searchsorted(node_ids, used)
    nodes = gpd.GeoDataFrame(
        {"node_id": used, "x": xs[pos], "y": ys[pos], "street_count": np.zeros(len(used), np.int64)},
        geometry=shapely.points(xs[pos], ys[pos]),
        crs=crs,
    )
    return nodes, edges


def _street_counts(node_ids: np.ndarray, edges: pd.DataFrame) -> np.ndarray:
    """Streets meeting at each node: physical segments incident to it (self-loops count twice)."""
    phys = edges.loc[~edges["reversed"].to_numpy(dtype=bool), ["u", "v"]]
    ends = np.concatenate([phys["u"].to_numpy(), phys["v"].to_numpy()])
    ids, counts = np.unique(ends, return_counts=True)
    out = np.zeros(len(node_ids), dtype=np.int64)
    if len(ids):
        pos = np.minimum(np.searchsorted(ids, node_ids), len(ids) - 1)
        found = ids[pos] == node_ids
        out[found] = counts[pos[found]]
    return out


def _connectivity(nodes: pd.DataFrame, edges: pd.DataFrame) -> dict[str, int]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(nodes)
    if n == 0:
        return {"weak_components": 0, "largest_weak_nodes": 0, "strong_components": 0,
                "largest_strong_nodes": 0}
    ids = nodes["node_id"].to_numpy()
    u = np.searchsorted(ids, edges["u"].to_numpy())
    v = np.searchsorted(ids, edges["v"].to_numpy())
    mat = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)).tocsr()
    out: dict[str, int] = {}
    for name in ("weak", "strong"):
        k, labels = connected_components(mat, directed=True, connection=name)
        out[f"{name}_components"] = int(k)
        out[f"largest_{name}_nodes"] = int(np.bincount(labels).max())
    return out


def _buildings_frame(raw: _Raw, crs: str) -> gpd.GeoDataFrame:
    if not raw.buildings:
        return _empty_frame(_BUILDING_COLUMNS, crs)
    geoms = shapely.from_wkb([b[3] for b in raw.buildings])
    parts = shapely.get_num_geometries(geoms)
    single = parts == 1
    geoms[single] = shapely.get_geometry(geoms[single], 0)
    frame = gpd.GeoDataFrame(
        {
            "osm_id": np.array([b[0] for b in raw.buildings], dtype=np.int64),
            "osm_type": [b[1] for b in raw.buildings],
            "building": [b[2].get("building") for b in raw.buildings],
            "name": [b[2].get("name") for b in raw.buildings],
            "levels": [b[2].get("building:levels") for b in raw.buildings],
        },
        geometry=geoms,
        crs="EPSG:4326",
    ).to_crs(crs)
    return frame.sort_values(["osm_type", "osm_id"], kind="stable").reset_index(drop=True)


def _cameras_frame(raw: _Raw, crs: str) -> gpd.GeoDataFrame:
    if not raw.cameras:
        return _empty_frame(_CAMERA_COLUMNS, crs)
    rows = []
    for osm_id, lon, lat, tags in sorted(raw.cameras, key=lambda c: c[0]):
        kind = camera_kind(tags)
        rows.append(
            {
                "camera_id": f"osm:{osm_id}",
                "kind": kind,
                "bearing_deg": parse_direction(tags.get("camera:direction", tags.get("direction"))),
                "fov_deg": 360.0 if kind == "dome" else math.nan,
                "range_m": math.nan,
                "owner": _camera_owner(tags),
                "neighborhood_id": None,
                "osm_id": osm_id,
                "osm_tags": json.dumps(tags, ensure_ascii=False, sort_keys=True),
                "lon": lon,
                "lat": lat,
            }
        )
    df = pd.DataFrame(rows)
    frame = gpd.GeoDataFrame(
        df[_CAMERA_COLUMNS], geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326"
    ).to_crs(crs)
    frame["osm_id"] = frame["osm_id"].astype(np.int64)
    frame["neighborhood_id"] = frame["neighborhood_id"].astype(object)
    return frame


def _clip_polygon(boundary: gpd.GeoDataFrame, crs: str) -> shapely.Geometry:
    if not isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        raise InputError("boundary must be a GeoDataFrame of the district polygon(s)", code="osm.boundary_empty")
    if boundary.crs is None:
        raise CRSError("the boundary has no CRS; set it (e.g. .set_crs('EPSG:4326')) before clipping",
                       code="crs.missing", what="boundary")
    if len(boundary) == 0 or boundary.geometry.isna().all():
        raise InputError("the boundary is empty; pass the district polygon to clip the roads to",
                         code="osm.boundary_empty")
    poly = boundary.to_crs(crs).geometry.union_all()
    if poly.is_empty:
        raise InputError("the boundary is empty; pass the district polygon to clip the roads to",
                         code="osm.boundary_empty")
    shapely.prepare(poly)
    return poly


def read_osm(
    path: str | os.PathLike[str],
    *,
    crs: str | None = None,
    boundary: gpd.GeoDataFrame | None = None,
    progress: Progress | None = None,
    highways: Collection[str] = ROAD_KINDS,
    include_speed_cameras: bool = False,
) -> OsmExtract:
    """Read an OSM extract into road, building and camera layers.

    Parameters
    ----------
    path
        ``.osm`` (XML), ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file; the format is detected from
        the content, so a misnamed file still reads.
    crs
        Working CRS (projected, e.g. ``"EPSG:4547"``). Default: :func:`geo.coords.suggest_projected_crs`
        of the boundary's centre if given, else of the roads' centre (CGCS2000 3-degree
        Gauss-Kruger in China, UTM elsewhere).
    boundary
        District polygon(s) in any CRS. When given, only edges intersecting it are kept (whole,
        not cut), and only buildings intersecting it and cameras inside it.
    progress
        Called as ``progress(stage, fraction)`` with ``fraction`` rising from 0 to 1.
    highways
        ``highway=*`` values that become edges (default :data:`ROAD_KINDS`). Ways tagged
        ``area=yes`` (squares) are never edges.
    include_speed_cameras
        Also read ``highway=speed_camera`` nodes as cameras of kind ``speed`` (they are counted in
        ``stats["speed_camera_nodes"]`` either way).

    Returns
    -------
    OsmExtract
        ``stats`` holds: ``ways_read``, ``relations_read``, ``road_ways`` (ways of a road kind),
        ``road_ways_kept``, ``road_ways_split_at_missing_nodes`` (ways referencing nodes absent
        from the file), ``node_refs_missing`` and ``nodes_missing`` (distinct ids),
        ``road_ways_without_usable_run`` (clipped to fewer than two nodes, dropped),
        ``road_runs``, ``building_ways``, ``dropped_by_kind`` (non-road, non-building ways by
        their main tag, e.g. ``"highway=platform"``, ``"landuse"``), ``speed_camera_nodes``,
        ``road_nodes``, ``road_edges``, ``road_km_by_highway`` (one direction only),
        ``buildings``, ``cameras``, connectivity (``weak_components``, ``largest_weak_nodes``,
        ``strong_components``, ``largest_strong_nodes``) and ``seconds``.

    Raises
    ------
    InputError
        The file is missing, empty, not OSM, damaged or truncated, or holds no roads.
    CRSError
        ``crs`` is unknown or geographic, or ``boundary`` has no CRS.
    """
    t0 = time.perf_counter()
    path = Path(path)
    report = progress or no_progress
    report("checking file", 0.0)
    fmt = _sniff_format(path)
    _check_compressed_xml(path, fmt)
    if fmt != "pbf":
        check_xml(path)  # entity declarations (billion laughs, XXE) refused before parsing
    report("reading", 0.05)
    try:
        raw = _read_raw(path, fmt, frozenset(highways), include_speed_cameras=include_speed_cameras)
    except RuntimeError as exc:
        raise InputError(
            f"cannot read OSM file '{path}': {exc} (the file is damaged, truncated or not OSM data); "
            f"{_FIX_FILE}",
            code="osm.damaged", name=path.name, reason=str(exc),
        ) from exc
    report("building graph", 0.6)
    stats: dict[str, Any] = {
        key: int(raw.counts.get(key, 0))
        for key in (
            "ways_read", "relations_read", "road_ways", "road_ways_kept",
            "road_ways_split_at_missing_nodes", "node_refs_missing", "road_ways_without_usable_run",
            "road_runs", "road_ways_doubled_back", "building_ways", "buildings_invalid", "speed_camera_nodes",
        )
    }
    stats["nodes_missing"] = len(raw.missing_ids)
    stats["dropped_by_kind"] = dict(sorted(raw.dropped.items(), key=lambda kv: (-kv[1], kv[0])))
    if not raw.runs:
        if raw.counts["road_ways"]:
            raise InputError(
                f"OSM file '{path}' has {raw.counts['road_ways']} road ways but none of their nodes "
                f"(is the file unsorted? sort it with 'osmium sort'); {_FIX_FILE}",
                code="osm.no_nodes", name=path.name, ways=raw.counts["road_ways"],
            )
        raise InputError(
            f"OSM file '{path}' contains no roads (no ways tagged highway={{"
            f"{', '.join(sorted(highways)[:6])}, ...}}); export an extract that includes the street "
            f"network (not only buildings or POIs) and pass it with --osm FILE",
            code="osm.no_roads", name=path.name,
        )

    if boundary is not None and crs is None:
        lon0, lat0, lon1, lat1 = _clip_polygon(boundary, "EPSG:4326").bounds
    else:
        lonlat = np.array(list(raw.coords.values()))
        lon0, lat0 = lonlat.min(axis=0)
        lon1, lat1 = lonlat.max(axis=0)
    working = _working_crs(crs, (lon0 + lon1) / 2.0, (lat0 + lat1) / 2.0)

    segments, seg_way = _simplify(raw)
    report("projecting", 0.7)
    nodes, edges = _build_roads(raw, segments, seg_way, working)
    buildings = _buildings_frame(raw, working)
    cameras = _cameras_frame(raw, working)

    if boundary is not None:
        report("clipping", 0.85)
        poly = _clip_polygon(boundary, working)
        inside = shapely.intersects(edges.geometry.to_numpy(), poly)
        stats["edges_outside_boundary"] = int((~inside).sum())
        edges = edges.loc[inside].reset_index(drop=True)
        edges["edge_id"] = np.arange(len(edges), dtype=np.int64)
        used = np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
        nodes = nodes.loc[nodes["node_id"].isin(used)].reset_index(drop=True)
        if len(buildings):
            keep = shapely.intersects(buildings.geometry.to_numpy(), poly)
            buildings = buildings.loc[keep].reset_index(drop=True)
        if len(cameras):
            cameras = cameras.loc[shapely.intersects(cameras.geometry.to_numpy(), poly)]
            cameras = cameras.reset_index(drop=True)
        if not len(edges):
            raise InputError(
                f"no road of '{path}' lies inside the boundary; check that the extract covers the "
                f"district (and that the boundary's CRS is right)",
                code="osm.outside_boundary", name=path.name,
            )

    nodes["street_count"] = _street_counts(nodes["node_id"].to_numpy(), edges)
    report("statistics", 0.95)
    one_way = edges.loc[~edges["reversed"].to_numpy(dtype=bool)]
    km = one_way.groupby("highway")["length_m"].sum() / 1000.0
    stats.update(
        road_nodes=len(nodes),
        road_edges=len(edges),
        road_km=round(float(one_way["length_m"].sum()) / 1000.0, 3),
        road_km_by_highway={k: round(float(v), 3) for k, v in km.sort_values(ascending=False).items()},
        edges_by_highway={str(k): int(v) for k, v in edges["highway"].value_counts().items()},
        oneway_edges=int(edges["oneway"].sum()),
        buildings=len(buildings),
        cameras=len(cameras),
    )
    stats.update(_connectivity(nodes, edges))
    stats["seconds"] = round(time.perf_counter() - t0, 3)
    report("done", 1.0)
    return OsmExtract(
        crs=working,
        road_nodes=nodes,
        road_edges=edges,
        buildings=buildings,
        cameras=cameras,
        stats=stats,
        source=str(path),
    )


# --------------------------------------------------------------------------------------------
# online extra


_OFFLINE_MSG = "no internet: download the extract on a connected machine and pass --osm FILE"


def _reachable(host: str, port: int, timeout_s: float) -> bool:
    """True when a TCP connection to host:port opens within ``timeout_s`` (DNS included)."""
    result: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                result.append(True)
        except OSError:
            result.append(False)

    worker = threading.Thread(target=attempt, name=f"reach-{host}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    return bool(result and result[0])


def _endpoint(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme or "https")
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "", port


@contextmanager
def _osmnx_settings(**values: Any) -> Iterator[None]:
    import osmnx as ox

    saved = {key: getattr(ox.settings, key) for key in values}
    try:
        for key, value in values.items():
            setattr(ox.settings, key, value)
        yield
    finally:
        for key, value in saved.items():
            setattr(ox.settings, key, value)


def _osmnx_response_error() -> type[Exception]:
    try:
        from osmnx._errors import InsufficientResponseError
    except ImportError:  # pragma: no cover - osmnx moved it
        return ValueError
    return InsufficientResponseError


def place_download(
    place: str,
    *,
    timeout_s: float = 5,
    download_timeout_s: float = 180,
    save_to: str | os.PathLike[str] | None = None,
    crs: str | None = None,
) -> OsmExtract:
    """Download a place's street network through osmnx (online only) and read it like a file.

    Parameters
    ----------
    place
        A place name Nominatim knows, e.g. ``"渝水区, 新余市, 江西省, 中国"``.
    timeout_s
        How long to wait for the Nominatim and Overpass servers to answer a connection before
        deciding there is no internet.
    download_timeout_s
        Request timeout for the download itself.
    save_to
        Where to keep the downloaded network as OSM XML, to reuse offline with ``--osm FILE``
        (default: a temporary file, deleted after reading).
    crs
        Working CRS, as for :func:`read_osm`.

    Raises
    ------
    OfflineError
        Within about ``timeout_s`` seconds when the servers cannot be reached.
    InputError
        When the place is unknown or has no streets.
    """
    import tempfile

    import osmnx as ox

    hosts = [_endpoint(ox.settings.nominatim_url), _endpoint(ox.settings.overpass_url)]
    for host, port in hosts:
        if not host or not _reachable(host, port, timeout_s):
            raise OfflineError(f"{_OFFLINE_MSG} ({host}:{port} unreachable within {timeout_s:g} s)", code="osm.offline")
    import requests

    try:
        with _osmnx_settings(
            requests_timeout=download_timeout_s,
            overpass_rate_limit=False,
            use_cache=False,
            log_console=False,
            all_oneway=True,  # keep OSM node order and raw oneway tags for the XML export
        ):
            graph = ox.graph_from_place(
                place, network_type="all", simplify=False, retain_all=True, truncate_by_edge=True
            )
            tmpdir = None
            if save_to is None:
                tmpdir = tempfile.TemporaryDirectory(prefix="patrolnet-osm-")
                target = Path(tmpdir.name) / "download.osm"
            else:
                target = Path(save_to)
            ox.io.save_graph_xml(graph, target)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise OfflineError(f"{_OFFLINE_MSG} ({exc.__class__.__name__})", code="osm.offline") from exc
    except (ValueError, TypeError, _osmnx_response_error()) as exc:
        raise InputError(f"cannot download the streets of {place!r}: {exc}; check the place name",
                         code="osm.place", place=str(place), reason=str(exc)) from exc
    try:
        return read_osm(target, crs=crs)
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()
