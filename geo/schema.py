"""The workspace schema: layers, their geometry types and columns.

A workspace is one GeoPackage file. Every spatial layer is stored in the workspace's projected
working CRS (recorded in ``meta``); WGS84 appears only at the edges (import, GeoJSON out, maps).
This module is the single source of truth for ``docs/data-model.md`` and for validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCHEMA_VERSION = 1
DEFAULT_TIMEZONE = "Asia/Shanghai"
#: CGCS2000 / 3-degree Gauss-Kruger CM 114E: a metric CRS fitting Xinyu (27.82 N, 114.93 E).
XINYU_CRS = "EPSG:4547"
#: Main roads by default (the special patrol brigade's): motorway, trunk, primary, secondary and
#: their links. A workspace may set its own list in ``meta.main_highways``.
MAIN_HIGHWAYS: tuple[str, ...] = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
)


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # "str", "int", "float", "bool", "datetime" (ISO 8601 text with offset)
    doc: str
    required: bool = True


@dataclass(frozen=True)
class Layer:
    name: str
    geometry: str | None  # OGC type, or None for an attribute table
    doc: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


C = Column

#: Incident categories: code -> (zh-CN, en, group). Groups: "两抢一盗" is robbery+snatching+theft.
CATEGORIES: dict[str, tuple[str, str, str]] = {
    "robbery": ("抢劫", "robbery", "two_robberies_one_theft"),
    "snatching": ("抢夺", "snatching", "two_robberies_one_theft"),
    "burglary": ("入室盗窃", "burglary", "two_robberies_one_theft"),
    "ebike_theft": ("盗窃电动车", "e-bike theft", "two_robberies_one_theft"),
    "vehicle_theft": ("盗窃机动车", "vehicle theft", "two_robberies_one_theft"),
    "theft_from_vehicle": ("盗窃车内财物", "theft from vehicle", "two_robberies_one_theft"),
    "pickpocketing": ("扒窃", "pickpocketing", "two_robberies_one_theft"),
    "other_theft": ("其他盗窃", "other theft", "two_robberies_one_theft"),
    "assault": ("故意伤害", "assault", "other_criminal"),
    "fraud": ("诈骗", "fraud", "other_criminal"),
    "public_order": ("治安案件", "public-order case", "public_order"),
}
#: Groups counted as criminal cases (刑事案件); public-order cases (治安案件) are not.
CRIMINAL_GROUPS = ("two_robberies_one_theft", "other_criminal")

PLACE_KINDS = ("street", "neighborhood")
NEIGHBORHOOD_KINDS = ("unit_compound", "enclosed", "open")
#: The article's four neighborhood models (示范小区 templates).
MODEL_KINDS = ("unit_self_governance", "party_building", "party_members_return", "police_resident")
UNIT_KINDS = ("brigade_vehicle", "station_team", "grid_team", "volunteer_team", "skynet_guard")
CAMERA_KINDS = ("skynet_pole", "bullet", "dome", "speed")

LAYERS: dict[str, Layer] = {
    lay.name: lay
    for lay in [
        Layer(
            "meta",
            None,
            "Key/value table: schema version, working CRS, time zone, source of each layer, times.",
            (C("key", "str", "setting name"), C("value", "str", "setting value (text; JSON where structured)")),
        ),
        Layer(
            "boundary",
            "MultiPolygon",
            "The district boundary (辖区边界).",
            (C("name", "str", "district name"), C("adcode", "str", "administrative code", False)),
        ),
        Layer(
            "stations",
            "MultiPolygon",
            "Police stations (派出所); geometry is the jurisdiction (辖区).",
            (
                C("station_id", "str", "stable id, e.g. S01"),
                C("name", "str", "zh-CN name, e.g. 北湖路派出所"),
                C("name_en", "str", "English name", False),
                C("site_x", "float", "station building, working-CRS x (m)"),
                C("site_y", "float", "station building, working-CRS y (m)"),
            ),
        ),
        Layer(
            "communities",
            "MultiPolygon",
            "Communities (社区) with their community police office (社区警务室).",
            (
                C("community_id", "str", "stable id, e.g. C001"),
                C("name", "str", "zh-CN name, e.g. 龙洲社区"),
                C("name_en", "str", "English name", False),
                C("station_id", "str", "station the community belongs to"),
                C("office_name", "str", "police office name, e.g. 龙洲社区警务室"),
                C("office_x", "float", "police office, working-CRS x (m)"),
                C("office_y", "float", "police office, working-CRS y (m)"),
                C("residents", "int", "resident population", False),
            ),
        ),
        Layer(
            "neighborhoods",
            "MultiPolygon",
            "Residential neighborhoods (小区).",
            (
                C("neighborhood_id", "str", "stable id, e.g. N0001"),
                C("name", "str", "zh-CN name, e.g. 水榭丽都"),
                C("name_en", "str", "English name", False),
                C("kind", "str", "unit_compound | enclosed | open"),
                C("households", "int", "number of households (户)"),
                C("community_id", "str", "community the neighborhood lies in"),
                C("station_id", "str", "station whose jurisdiction holds it"),
                C("model_kind", "str", "one of the four model kinds if designated a model (示范小区), else empty", False),
            ),
        ),
        Layer(
            "subzones",
            "MultiPolygon",
            "Small sub-zones (小片区) partitioning the covered area.",
            (
                C("subzone_id", "str", "stable id, e.g. Z0001"),
                C("station_id", "str", "station whose jurisdiction holds it"),
                C("community_id", "str", "community it lies in"),
                C("area_m2", "float", "area in square metres"),
                C("perimeter_m", "float", "perimeter in metres"),
                C("households", "int", "households of the neighborhoods inside", False),
            ),
        ),
        Layer(
            "road_nodes",
            "Point",
            "Road graph nodes (intersections and dead ends), osmnx-compatible.",
            (
                C("node_id", "int", "node id (OSM id for imported networks)"),
                C("x", "float", "working-CRS x (m)"),
                C("y", "float", "working-CRS y (m)"),
                C("street_count", "int", "number of streets meeting here", False),
            ),
        ),
        Layer(
            "road_edges",
            "LineString",
            "Road graph edges; two-way roads are stored once per direction as in osmnx.",
            (
                C("edge_id", "int", "stable edge id"),
                C("u", "int", "start node_id"),
                C("v", "int", "end node_id"),
                C("key", "int", "parallel-edge key"),
                C("osmid", "str", "OSM way id(s), or a synthetic id", False),
                C("highway", "str", "OSM highway tag (trunk, primary, ..., residential, service)"),
                C("name", "str", "street name (UTF-8, zh-CN)", False),
                C("oneway", "bool", "one-way street"),
                C("maxspeed", "str", "OSM maxspeed tag (km/h)", False),
                C("bridge", "bool", "edge is a bridge", False),
                C("length_m", "float", "length in metres"),
            ),
        ),
        Layer(
            "cameras",
            "Point",
            "Cameras (探头): street Skynet (天网) and neighborhood cameras.",
            (
                C("camera_id", "str", "stable id"),
                C("kind", "str", "skynet_pole | bullet | dome | speed"),
                C("bearing_deg", "float", "view direction, degrees clockwise from north (empty: unknown)", False),
                C("fov_deg", "float", "field of view in degrees (360 for a dome)", False),
                C("range_m", "float", "useful range in metres", False),
                C("owner", "str", "who runs it: public_security | neighborhood | unit | ..."),
                C("neighborhood_id", "str", "neighborhood it belongs to, if any", False),
                C("osm_id", "int", "OSM node id (cameras read from OSM)", False),
                C("osm_tags", "str", "the OSM node's tags as JSON (cameras read from OSM)", False),
            ),
        ),
        Layer(
            "buildings",
            "MultiPolygon",
            "Building footprints (from OSM when the extract has them); used for camera line of sight.",
            (
                C("osm_id", "int", "OSM way or relation id", False),
                C("osm_type", "str", "way | relation", False),
                C("building", "str", "OSM building tag (yes, residential, ...)", False),
                C("name", "str", "name", False),
                C("levels", "float", "building:levels", False),
            ),
        ),
        Layer(
            "incidents",
            "Point",
            "Incidents (警情/案件).",
            (
                C("incident_id", "str", "stable id"),
                C("occurred_at", "datetime", "ISO 8601 with offset, e.g. 2025-03-01T20:15:00+08:00"),
                C("category", "str", "category code (see CATEGORIES)"),
                C("place_kind", "str", "street | neighborhood"),
                C("station_id", "str", "station whose jurisdiction holds it", False),
                C("community_id", "str", "community it lies in", False),
                C("neighborhood_id", "str", "neighborhood it lies in, if any", False),
                C("subzone_id", "str", "sub-zone it lies in", False),
                C("edge_id", "int", "road edge it snapped to (street incidents)", False),
                C("snap_distance_m", "float", "distance moved when snapped to the road", False),
            ),
        ),
        Layer(
            "units",
            "Point",
            "Patrol units; geometry is the unit's base.",
            (
                C("unit_id", "str", "stable id"),
                C("kind", "str", "brigade_vehicle | station_team | grid_team | volunteer_team | skynet_guard"),
                C("name", "str", "zh-CN name"),
                C("name_en", "str", "English name", False),
                C("station_id", "str", "station it belongs to (empty for the brigade)", False),
                C("community_id", "str", "community it serves (grid and volunteer teams)", False),
                C("officers", "int", "police officers (民警)"),
                C("auxiliaries", "int", "auxiliary officers (辅警)"),
                C("volunteers", "int", "volunteers (群防群治力量)"),
                C("mode", "str", "car | ebike | foot"),
            ),
        ),
        Layer(
            "tracks",
            "Point",
            "GPS pings of patrol units in the field (phones, car terminals, GPX/KML/CSV files).",
            (
                C("ping_id", "str", "unit id @ time (one ping per unit and second)"),
                C("unit_id", "str", "the unit that recorded it (units layer)"),
                C("recorded_at", "datetime", "ISO 8601 with offset, e.g. 2026-11-02T20:15:10+08:00"),
            ),
        ),
    ]
}


def schema_markdown() -> str:
    """The layer reference of ``docs/data-model.md``, generated from :data:`LAYERS`."""
    out: list[str] = []
    for lay in LAYERS.values():
        geom = lay.geometry or "none (attribute table)"
        out.append(f"### `{lay.name}`\n\n{lay.doc} Geometry: {geom}.\n")
        out.append("| column | type | required | meaning |\n| --- | --- | --- | --- |")
        for col in lay.columns:
            out.append(f"| `{col.name}` | {col.dtype} | {'yes' if col.required else 'no'} | {col.doc} |")
        out.append("")
    out.append("### Incident categories\n")
    out.append("| code | zh-CN | en | group |\n| --- | --- | --- | --- |")
    for code, (zh, en, group) in CATEGORIES.items():
        out.append(f"| `{code}` | {zh} | {en} | {group} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover - documentation helper
    import sys
    from pathlib import Path

    doc = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/data-model.md")
    marker = "<!-- generated from geo/schema.py"
    text = doc.read_text(encoding="utf-8")
    head, _, _ = text.partition(marker)
    line = text[len(head):].splitlines()[0]
    doc.write_text(head + line + "\n" + schema_markdown(), encoding="utf-8")
