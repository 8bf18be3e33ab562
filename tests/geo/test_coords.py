"""GCJ-02 / BD-09 conversions, checked against the independent public-domain `prcoords` library."""

import numpy as np
import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geo.coords import (
    bd09_to_wgs84,
    gcj02_to_wgs84,
    suggest_projected_crs,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.errors import CRSError, InputError

GEOD = Geod(ellps="WGS84")
china_lon = st.floats(min_value=75.0, max_value=134.0)
china_lat = st.floats(min_value=18.0, max_value=53.0)


def test_forward_matches_prcoords_on_a_grid():
    lons, lats = np.meshgrid(np.linspace(76, 134, 30), np.linspace(19, 52, 30))
    g_lon, g_lat = wgs84_to_gcj02(lons.ravel(), lats.ravel())
    b_lon, b_lat = wgs84_to_bd09(lons.ravel(), lats.ravel())
    for i in range(0, lons.size, 37):
        ref = prcoords.wgs_gcj(prcoords.Coords(lats.ravel()[i], lons.ravel()[i]))
        assert g_lon[i] == pytest.approx(ref.lon, abs=1e-12)
        assert g_lat[i] == pytest.approx(ref.lat, abs=1e-12)
        refb = prcoords.wgs_bd(prcoords.Coords(lats.ravel()[i], lons.ravel()[i]))
        assert b_lon[i] == pytest.approx(refb.lon, abs=1e-12)
        assert b_lat[i] == pytest.approx(refb.lat, abs=1e-12)


def test_xinyu_offset_is_a_few_hundred_metres():
    g_lon, g_lat = wgs84_to_gcj02(114.93, 27.82)
    _, _, dist = GEOD.inv(114.93, 27.82, float(g_lon), float(g_lat))
    assert 300 < dist < 800


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_gcj02_inverse_is_under_one_metre(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    _, _, dist = GEOD.inv(lon, lat, float(back[0]), float(back[1]))
    assert dist < 1.0


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_bd09_inverse_is_under_one_metre(lon, lat):
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    _, _, dist = GEOD.inv(lon, lat, float(back[0]), float(back[1]))
    assert dist < 1.0


def test_vectorised_inverse_beats_prcoords_exact_inverse():
    lons = np.linspace(100, 120, 50)
    lats = np.linspace(22, 40, 50)
    g = wgs84_to_gcj02(lons, lats)
    back = gcj02_to_wgs84(*g)
    ref = [prcoords.gcj_wgs_bored(prcoords.Coords(la, lo)) for lo, la in zip(g[0], g[1])]
    _, _, ours = GEOD.inv(lons, lats, back[0], back[1])
    _, _, theirs = GEOD.inv(lons, lats, [r.lon for r in ref], [r.lat for r in ref])
    assert ours.max() < 0.01
    assert ours.max() <= max(np.max(theirs), 0.01)


def test_outside_china_is_identity():
    lon, lat = wgs84_to_gcj02(-122.4, 37.77)
    assert (float(lon), float(lat)) == (-122.4, 37.77)


def test_to_wgs84_dispatch_and_error():
    assert to_wgs84(114.9, 27.8, "CGCS2000")[0] == 114.9
    g = wgs84_to_gcj02(114.9, 27.8)
    assert float(to_wgs84(*g, "GCJ-02")[0]) == pytest.approx(114.9, abs=1e-9)
    with pytest.raises(InputError, match="unknown coordinate system 'mercator'"):
        to_wgs84(1, 2, "mercator")


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [(114.93, 27.82, "EPSG:4547"), (121.47, 31.23, "EPSG:4549"), (-122.42, 37.76, "EPSG:32610"),
     (24.94, 60.17, "EPSG:32635"), (-123.1, 49.25, "EPSG:32610")],
)
def test_suggest_projected_crs(lon, lat, expected):
    assert suggest_projected_crs(lon, lat) == expected


def test_suggest_projected_crs_refuses_metres():
    with pytest.raises(CRSError, match="not a longitude/latitude"):
        suggest_projected_crs(497938.7, 5457948.9)
