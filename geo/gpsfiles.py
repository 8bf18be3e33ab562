"""GPS files as rows to import: GPX 1.1 (track points, else waypoints) and KML (``gx:Track`` and
timestamped point placemarks), each point with its time, WGS84.

Both are XML: :func:`geo.hostile.check_upload` has refused entity tricks before these run. GPX is
read with GDAL's GPX driver (pyogrio); KML's tracks (``gx:Track``, what phone apps and Google Earth
write) are not read by GDAL's KML driver, so KML is walked here with the standard library's parser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geo.errors import InputError

__all__ = ["GPS_SUFFIXES", "read_gps"]

GPS_SUFFIXES = (".gpx", ".kml")
_KML = "{http://www.opengis.net/kml/2.2}"
_GX = "{http://www.google.com/kml/ext/2.2}"


def read_gps(path: str | Path) -> gpd.GeoDataFrame:
    """The points of a GPX or KML file with their times: columns ``__row__`` (1-based point
    number), ``time`` (text as written), ``track`` (the track's or placemark's name, when given),
    geometry in EPSG:4326.

    Raises
    ------
    InputError
        Not readable, or no timed point in it (code ``import.no_points``).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    frame = _gpx(path) if suffix == ".gpx" else _kml(path)
    if frame.empty:
        raise InputError(f"'{path.name}': no point with a time in it; export the track with its times",
                         code="import.no_points", name=path.name)
    frame.insert(0, "__row__", np.arange(1, len(frame) + 1))
    return frame.reset_index(drop=True)


def _gpx(path: Path) -> gpd.GeoDataFrame:
    try:
        layers = {name for name, _ in pyogrio.list_layers(path)}
        for layer in ("track_points", "waypoints"):
            if layer not in layers:
                continue
            got = pyogrio.read_dataframe(path, layer=layer)
            if len(got) and "time" in got.columns:
                track = got["name"] if "name" in got.columns else pd.Series(None, index=got.index)
                out = gpd.GeoDataFrame({"time": got["time"].astype("string"), "track": track.astype("string")},
                                       geometry=got.geometry.to_numpy(), crs="EPSG:4326")
                return out[out["time"].notna()]
    except Exception as exc:  # (GDAL's words for a broken file)
        raise InputError(f"'{path.name}': not a readable GPX file ({exc})", code="import.unreadable",
                         name=path.name, reason=str(exc)) from exc
    return gpd.GeoDataFrame({"time": [], "track": []}, geometry=[], crs="EPSG:4326")


def _kml(path: Path) -> gpd.GeoDataFrame:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(f"'{path.name}': not a readable KML file ({exc})", code="import.unreadable",
                         name=path.name, reason=str(exc)) from exc
    times: list[str] = []
    lons: list[float] = []
    lats: list[float] = []
    names: list[str | None] = []
    for mark in root.iter(f"{_KML}Placemark"):
        name = mark.findtext(f"{_KML}name")
        for track in mark.iter(f"{_GX}Track"):
            whens = [w.text or "" for w in track.findall(f"{_KML}when")]
            coords = [c.text or "" for c in track.findall(f"{_GX}coord")]
            for when, coord in zip(whens, coords):
                parts = coord.split()
                if len(parts) >= 2:
                    times.append(when.strip())
                    lons.append(_float(parts[0]))
                    lats.append(_float(parts[1]))
                    names.append(name)
        stamp = mark.findtext(f"{_KML}TimeStamp/{_KML}when")
        point = mark.findtext(f"{_KML}Point/{_KML}coordinates")
        if stamp and point:
            parts = point.strip().split(",")
            if len(parts) >= 2:
                times.append(stamp.strip())
                lons.append(_float(parts[0]))
                lats.append(_float(parts[1]))
                names.append(name)
    return gpd.GeoDataFrame({"time": pd.array(times, dtype="string"), "track": pd.array(names, dtype="string")},
                            geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")
