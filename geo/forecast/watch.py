"""Where to watch in one shift: a forecast's places ranked for a time window, named by what is there.

A forecast (:func:`geo.forecast.forecast`) gives each place the incidents expected over its
horizon (a week, four weeks), whatever the hour. A duty commander plans one shift: 20:00-24:00
tonight. :func:`watch_list` spreads each place's expected incidents over the week by the hour x
weekday profile of its station's last year of incidents (shrunk toward the district's profile, so
that a station with few incidents borrows the district's shape: a Dirichlet prior of
:data:`PROFILE_PRIOR` incidents), and ranks the places by the share that falls in the window.

:func:`place_labels` names a place for a person: the neighborhood covering most of it
(``龙凤花园``), else its two longest named streets (``北湖路、抱石路一带``); a street segment by its
street.
"""

from __future__ import annotations

from collections.abc import Iterable
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError

from .design import _prepare

__all__ = ["PROFILE_PRIOR", "place_labels", "shift_slots", "watch_list"]

#: Weight (in incidents) of the district's hour x weekday profile in each station's.
PROFILE_PRIOR = 200.0
#: A neighborhood names a place when it covers at least this share of it.
_COVER = 0.25


def shift_slots(start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """The 168 weekday x hour slots (0 = Monday 00:00-01:00) a window covers, each as the fraction
    of its hour inside ``[start, end)`` (local clock times; a window past midnight runs into the
    next weekday; at most a week)."""
    start, end = (pd.Timestamp(t).tz_localize(None) if pd.Timestamp(t).tzinfo else pd.Timestamp(t)
                  for t in (start, end))  # (wall-clock times)
    if not end > start:
        raise InputError(f"the window {start:%H:%M}-{end:%H:%M} is empty", code="param.shift",
                         value=f"{start:%H:%M}-{end:%H:%M}")
    out = np.zeros(168)
    hour = start.floor("h")
    while hour < end and hour < start + pd.Timedelta(days=7):
        inside = (min(end, hour + pd.Timedelta(hours=1)) - max(start, hour)) / pd.Timedelta(hours=1)
        out[hour.day_of_week * 24 + hour.hour] += inside
        hour += pd.Timedelta(hours=1)
    return out


def watch_list(
    ranked: pd.DataFrame,
    *,
    cells: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    horizon_days: float,
    groups: pd.Series | None = None,
    categories: Iterable[str] | str | None = None,
) -> pd.DataFrame:
    """The forecast's places ranked for one window.

    Parameters
    ----------
    ranked
        A forecast: the place id column first (as :func:`geo.forecast.forecast` returns it) and
        ``expected`` (incidents over ``horizon_days``).
    cells
        The forecast's places (polygons or street segments), for placing the incidents.
    incidents
        The incidents the profile is read from (the caller passes the last year before the forecast).
    start, end
        The window, local clock times (``end`` after ``start``; a shift past midnight ends the next day).
    groups
        Optional group (station) per place id: each group gets its own profile, from the incidents
        of its group (their own ``station_id`` where they carry one, else their place's); None:
        the district's profile for every place.
    categories
        The categories the forecast counted (the profile counts the same).

    Returns
    -------
    DataFrame sorted by ``rank``: the place id, ``rank`` (1 = most expected in the window),
    ``expected_window`` (incidents expected in the window), ``window_share`` (the share of a week's
    incidents that fall in the window's hours by its group's profile), ``expected`` (the forecast's,
    over its horizon), ``same_hours_12m`` (incidents at the place in the window's clock hours, any
    day, in the incidents given).
    """
    key = ranked.columns[0]
    if "expected" not in ranked.columns:
        raise InputError("the forecast has no 'expected' column", code="layer.missing_columns",
                         layer="forecast", columns="expected")
    slots = shift_slots(start, end)
    inc = incidents.reset_index(drop=True)
    d = _prepare(inc, cells, categories=categories, origin=pd.Timestamp("2000-01-03"))
    inc = inc.loc[d.rows]  # (the incidents the design kept, in its order)
    ids = pd.Index(d.places.ids)
    slot = np.floor(d.t * 24 + 1e-6).astype(np.int64) % 168  # (the origin is a Monday, 00:00)
    place = d.place
    n_group, group_of_place = 1, np.zeros(ids.size, np.int64)
    inside = place >= 0
    g_inc = np.zeros(int(inside.sum()), np.int64)
    if groups is not None:
        g = groups.reindex(ids.to_numpy()).astype("string").fillna("")
        codes, names = pd.factorize(g)
        group_of_place, n_group = codes.astype(np.int64), max(len(names), 1)
        g_inc = group_of_place[place[inside]]
        if "station_id" in inc.columns:  # an incident counts for its own station, where it names one
            own = pd.Index(names).get_indexer(inc["station_id"].astype("string").fillna("").to_numpy()[inside])
            g_inc = np.where(own >= 0, own, g_inc)
    counts = np.bincount(g_inc * 168 + slot[inside], minlength=n_group * 168).reshape(n_group, 168).astype(float)
    district = np.bincount(slot, minlength=168).astype(float)
    prior = district / district.sum() if district.sum() > 0 else np.full(168, 1 / 168)
    profile = ((counts + PROFILE_PRIOR * prior) / (counts.sum(axis=1, keepdims=True) + PROFILE_PRIOR)
               if groups is not None else prior[None, :])
    share = (profile @ slots)[group_of_place]
    hours = np.zeros(24, bool)
    hours[np.flatnonzero(slots.reshape(7, 24).sum(axis=0) > 0)] = True
    same = np.bincount(place[inside & hours[slot % 24]], minlength=ids.size)
    table = pd.DataFrame({key: ids.to_numpy(), "window_share": share, "same_hours_12m": same})
    out = ranked[[key, "expected"]].merge(table, on=key, how="left")
    out["window_share"] = out["window_share"].fillna(float(prior @ slots))
    out["same_hours_12m"] = out["same_hours_12m"].fillna(0).astype(np.int64)
    out["expected_window"] = out["expected"].astype(float) / float(horizon_days) * 7.0 * out["window_share"]
    out = out.sort_values(["expected_window", key], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    out.insert(1, "rank", np.arange(1, len(out) + 1))
    return out[[key, "rank", "expected_window", "window_share", "expected", "same_hours_12m"]]


def place_labels(
    cells: gpd.GeoDataFrame,
    *,
    key: str,
    neighborhoods: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    lang: str = "zh-CN",
) -> pd.Series:
    """A name per place (indexed by ``key``): a street segment by its street (``name``); a polygon by
    the neighborhood covering at least a quarter of it (the most covered), else by its two longest
    named streets (``北湖路、抱石路一带`` / ``around Beihu Rd, Baoshi Rd``), else its id."""
    en = lang == "en"
    ids = cells[key].to_numpy()
    names = pd.Series([str(v) for v in ids], index=ids, dtype=object)
    geoms = cells.geometry.to_numpy()
    if len(cells) == 0:
        return names
    if set(np.unique(shapely.get_type_id(geoms)).tolist()) <= {1, 5}:  # street segments
        if "name" in cells.columns:
            given = cells["name"].astype("string").fillna("").to_numpy()
            names[:] = np.where(given != "", given, names.to_numpy())
        return names
    done = np.zeros(len(cells), bool)
    if neighborhoods is not None and len(neighborhoods):
        col = "name_en" if en and "name_en" in neighborhoods.columns else "name"
        nb = neighborhoods.geometry.to_numpy()
        cell_i, nb_i = shapely.STRtree(nb).query(geoms, predicate="intersects")
        if cell_i.size:
            cover = shapely.area(shapely.intersection(geoms[cell_i], nb[nb_i])) / np.maximum(shapely.area(geoms[cell_i]), 1e-9)
            pairs = pd.DataFrame({"c": cell_i, "n": nb_i, "cover": cover})
            pairs = pairs[pairs["cover"] >= _COVER].sort_values(["c", "cover", "n"], ascending=[True, False, True])
            best = pairs.drop_duplicates("c")
            label = neighborhoods[col].astype("string").fillna("").to_numpy()[best["n"].to_numpy()]
            ok = label != ""
            names.iloc[best["c"].to_numpy()[ok]] = label[ok]
            done[best["c"].to_numpy()[ok]] = True
    if roads is not None and len(roads) and "name" in roads.columns and not done.all():
        named = roads[roads["name"].astype("string").fillna("").str.strip() != ""]
        todo = np.flatnonzero(~done)
        rg = named.geometry.to_numpy()
        cell_j, road_j = shapely.STRtree(rg).query(shapely.buffer(geoms[todo], 20.0), predicate="intersects")
        if cell_j.size:
            inside = shapely.length(shapely.intersection(rg[road_j], shapely.buffer(geoms[todo][cell_j], 20.0)))
            pairs = pd.DataFrame({"c": todo[cell_j], "name": named["name"].astype(str).to_numpy()[road_j],
                                  "m": inside})
            per = pairs.groupby(["c", "name"], sort=True)["m"].sum().reset_index()
            per = per.sort_values(["c", "m", "name"], ascending=[True, False, True])
            for c, grp in per.groupby("c", sort=False):
                top = grp["name"].head(2).tolist()
                names.iloc[int(c)] = ("around " + ", ".join(top)) if en else "、".join(top) + "一带"
    return names
