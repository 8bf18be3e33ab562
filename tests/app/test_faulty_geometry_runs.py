"""Planning runs on a workspace whose layers were damaged outside patrolnet (e.g. edited in QGIS):
a bow-tie neighborhood and sub-zone, rows without geometry, a neighborhood moved 80 km out of the
district, a camera without a point. Every run finishes (faulty geometries repaired or skipped on
reading, with a GeometryWarning naming the layer, the rows and the fix); none crashes (issue 9)."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely.geometry import Polygon

from app.storage.workspace import GeometryWarning, Workspace


def _bow_tie(p: shapely.Geometry) -> Polygon:
    x0, y0, x1, y1 = p.bounds
    return Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])


def _damage(path: Path, layer: str, edit) -> None:  # noqa: ANN001
    frame = pyogrio.read_dataframe(path, layer=layer)
    edit(frame)
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")  # straight to the file, no checks


@pytest.fixture(scope="module")
def damaged(demo_workspace_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("damaged") / "yushui.gpkg"
    shutil.copyfile(demo_workspace_file, path)

    def hoods(g: gpd.GeoDataFrame) -> None:
        g.loc[g.index[0], "geometry"] = _bow_tie(g.geometry.iloc[0])
        g.loc[g.index[1], "geometry"] = None
        g.loc[g.index[2], "geometry"] = Polygon()
        g.loc[g.index[3], "geometry"] = shapely.affinity.translate(g.geometry.iloc[3], 80_000, 0)

    def subzones(g: gpd.GeoDataFrame) -> None:
        g.loc[g.index[5], "geometry"] = _bow_tie(g.geometry.iloc[5])
        g.loc[g.index[6], "geometry"] = None

    def cameras(g: gpd.GeoDataFrame) -> None:
        g.loc[g.index[0], "geometry"] = None

    _damage(path, "neighborhoods", hoods)
    _damage(path, "subzones", subzones)
    _damage(path, "cameras", cameras)
    raw = pyogrio.read_dataframe(path, layer="neighborhoods")
    assert (~raw.geometry.is_valid | raw.geometry.isna() | raw.geometry.is_empty).sum() == 3  # really damaged
    return path


def test_reading_repairs_and_skips_with_a_warning(damaged: Path) -> None:
    with pytest.warns(GeometryWarning) as caught:
        hoods = Workspace(damaged).read("neighborhoods")
    message = str(caught[0].message)
    assert "layer 'neighborhoods'" in message and "N0001" in message and "Fix Geometries" in message
    assert len(hoods) == 298 and hoods.geometry.is_valid.all() and not hoods.geometry.is_empty.any()
    assert hoods.set_index("neighborhood_id").loc["N0001"].geometry.area > 0


@pytest.mark.slow
@pytest.mark.parametrize("run", ["split", "hotspots", "routes", "camera_gaps", "report"])
def test_planning_runs_finish_on_damaged_layers(run: str, damaged: Path, tmp_path: Path) -> None:
    import app.services as aj
    from app.services.split import split_workspace
    from geo.reports import build_report

    ws_path = tmp_path / "yushui.gpkg"
    shutil.copyfile(damaged, ws_path)
    ws = Workspace(ws_path)
    with pytest.warns(GeometryWarning):
        if run == "split":
            split_workspace(ws)
            assert Workspace(ws_path).count("edge_owners") > 0
        elif run == "hotspots":
            aj.hotspots_job(ws, out_dir=tmp_path / "hs")
            assert Workspace(ws_path).count("hotspot_subzones") > 1900
        elif run == "routes":
            plans, written = aj.routes_job(ws, shift="20:00-24:00", out=tmp_path / "routes", time_limit_s=0.02)
            assert len(plans) >= 50 and len(written) == 6
        elif run == "camera_gaps":
            gaps, path = aj.camera_gaps_job(ws, out=tmp_path / "gaps.csv")
            assert len(gaps) > 0 and path.is_file()
        else:
            rep = build_report(ws, month="2026-09")
            assert len(rep.table("station_ranking")) == 9
