"""The layers API writes each layer's features once per workspace version (``cached_texts``: heads
with the geometry once per simplification step, each column's values once): the answers are the
same bytes as writing the selected features for each request."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from app.storage.workspace import Workspace
from app.web.features import cached_texts, layer_geojson_bytes, simplify_step


def _sources(ws: Workspace) -> tuple[Any, Any, list[tuple[Any, ...]]]:
    frames: dict[str, Any] = {}
    made: list[tuple[Any, ...]] = []
    store: dict[tuple[Any, ...], Any] = {}

    def frame(name: str) -> Any:
        if name not in frames:
            frames[name] = ws.read(name)
        return frames[name]

    def cached(*key: Any, make: Any) -> Any:
        if key not in store:
            made.append(key)
            store[key] = make()
        return store[key]

    return frame, cached_texts(cached, frame, lambda: ws.crs.to_string()), made


@pytest.mark.parametrize(("layer", "properties", "simplify_m"), [
    ("road_edges", ["name", "highway", "length_m"], 2.0),
    ("road_edges", None, 0.0),
    ("incidents", None, 0.0),
    ("neighborhoods", ["name", "households"], 8.0),
    ("cameras", [], 0.0),
])
def test_cached_features_are_the_features_written_per_request(demo_workspace_file: Path, layer: str,
                                                              properties: list[str] | None, simplify_m: float) -> None:
    ws = Workspace(demo_workspace_file)  # the demo district: thousands of streets, incidents, cameras
    frame, texts, made = _sources(ws)
    w, s, e, n = ws.read("stations").to_crs("EPSG:4326").total_bounds
    views = [None, (w, s, (w + e) / 2, (s + n) / 2), ((w + e) / 2, (s + n) / 2, e, n), (0.0, 0.0, 1.0, 1.0)]
    large = 0
    for bbox in views:
        for limit, offset in ((10_000, 0), (7, 3), (300, 250)):
            kw = {"bbox": bbox, "properties": properties, "simplify_m": simplify_m, "limit": limit, "offset": offset}
            direct = layer_geojson_bytes(ws, layer, frames=frame, **kw)
            assert layer_geojson_bytes(ws, layer, frames=frame, texts=texts, **kw) == direct
            large += json.loads(direct)["numberReturned"] > 200
    # written once for the whole layer (its geometries at this step, each column's values), then
    # only selected, for large and small answers (a view's one-feature count) alike
    first = json.loads(layer_geojson_bytes(ws, layer, frames=frame, properties=properties, limit=1))["features"][0]
    columns = set(first["properties"])
    assert large and sorted(map(str, made)) == sorted(
        [str(("layer-heads", layer, simplify_step(simplify_m)))] + [str(("layer-values", layer, c)) for c in columns])


def test_other_columns_cost_their_values_not_the_geometries_again(demo_workspace_file: Path) -> None:
    ws = Workspace(demo_workspace_file)
    frame, texts, made = _sources(ws)
    for props, tol in ((["highway", "name"], 2.0), (["name", "highway", "length_m"], 2.0), (["highway", "name"], 4.0)):
        kw = {"properties": props, "simplify_m": tol, "limit": 10_000}
        assert layer_geojson_bytes(ws, "road_edges", frames=frame, texts=texts, **kw) == \
            layer_geojson_bytes(ws, "road_edges", frames=frame, **kw)
    assert sorted(k[:3] for k in made) == [("layer-heads", "road_edges", 2.0), ("layer-heads", "road_edges", 4.0),
                                           ("layer-values", "road_edges", "edge_id"),
                                           ("layer-values", "road_edges", "highway"),
                                           ("layer-values", "road_edges", "length_m"),
                                           ("layer-values", "road_edges", "name")]


def test_the_simplification_is_cached_in_steps() -> None:
    # one step per zoom level: the pixel sizes of zoom 15-17 at any latitude of the district
    assert [simplify_step(v) for v in (0.0, 0.01, 0.5, 1.04, 2.15, 3.99, 4.2, 37.6)] == [0.0, 0.125, 0.5, 1.0, 2.0, 2.0,
                                                                                         4.0, 32.0]
    assert {simplify_step(156543 * math.cos(math.radians(lat)) / 2**16) for lat in (27.6, 27.8, 28.0)} == {2.0}


@pytest.mark.parametrize("station", ["S01", "S02"])
def test_a_station_gets_its_own_rows_picked_from_the_district_s_features(demo_workspace_file: Path,
                                                                         station: str) -> None:
    from app.storage.access import Principal, ScopedWorkspace

    ws = Workspace(demo_workspace_file)
    scoped = ScopedWorkspace(ws, Principal("t", "station", station))
    district_frame, _, _ = _sources(ws)
    scoped_frame, _, _ = _sources(scoped)
    store: dict[tuple[Any, ...], Any] = {}
    made: list[tuple[Any, ...]] = []

    def cached(*key: Any, make: Any) -> Any:
        if key not in store:
            made.append(key)
            store[key] = make()
        return store[key]

    texts = cached_texts(cached, scoped_frame, lambda: ws.crs.to_string(), whole=(cached, district_frame))
    w, s, e, n = ws.read("stations").to_crs("EPSG:4326").total_bounds
    for layer, props, tol in (("road_edges", ["name", "highway"], 2.0), ("incidents", None, 0.0)):
        for bbox in (None, (w, s, (w + e) / 2, (s + n) / 2)):
            kw = {"bbox": bbox, "properties": props, "simplify_m": tol, "limit": 10_000}
            direct = layer_geojson_bytes(scoped, layer, frames=scoped_frame, **kw)
            assert layer_geojson_bytes(scoped, layer, frames=scoped_frame, texts=texts, **kw) == direct
            got = json.loads(direct)
            assert got["numberMatched"] < len(district_frame(layer))  # the station's rows, not the district's
    # the whole layer's parts written once per layer and the station's rows picked from them
    assert {k[0] for k in made} == {"layer-heads", "layer-values"}
    assert sorted(k[1] for k in made if k[0] == "layer-heads") == ["incidents", "road_edges"]


def test_values_are_written_as_json_writes_them() -> None:
    import pandas as pd

    from app.web.features import _dumps, _value_texts

    frame = pd.DataFrame({"v": pd.Series(["北湖路 \"东\"\\门\n", None, "a\u2028b", "\x01"], dtype=object),
                          "f": [0.1, 1e16, -0.0, float("nan")], "i": [0, -5, 2**40, 7], "b": [True, False, True, False],
                          "t": pd.to_datetime(["2026-01-02T03:04:05+08:00"] * 4), "o": [[1, 2], {"a": None}, 1.5, "x"]})
    for col in frame.columns:
        assert list(_value_texts(frame, col)) == [
            f"{_dumps(col)}:{_dumps(v)}" for v in json.loads(json.dumps(
                [None if (isinstance(v, float) and v != v) else v for v in
                 (frame[col].map(lambda x: x.isoformat()) if col == "t" else frame[col]).tolist()]))], col
