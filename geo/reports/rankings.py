"""Monthly rankings: stations, and the neighborhoods within each station (fewest cases first)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo.errors import InputError

from .counting import _attach_changes, _counts_column, _model_kind, _name_en, _whole, count_matrix
from .measures import COMPARISONS, MEASURES, RANK_METHOD
from .windows import Window

__all__ = ["neighborhood_ranking", "station_ranking"]


def _rank(values: pd.Series, by: pd.Series | None = None) -> pd.Series:
    if by is None:
        r = values.rank(method=RANK_METHOD, ascending=True, na_option="keep")
    else:
        r = values.groupby(by.to_numpy()).rank(method=RANK_METHOD, ascending=True, na_option="keep")
    return r.astype("Int64")


def _residents_by_station(communities: pd.DataFrame) -> pd.Series:
    if "residents" not in communities.columns:
        return pd.Series(dtype=float)
    res = pd.to_numeric(communities["residents"], errors="coerce")
    return res.groupby(communities["station_id"].astype(str).to_numpy()).sum(min_count=1)


def station_ranking(
    incidents: pd.DataFrame,
    *,
    windows: Mapping[str, Window],
    stations: pd.DataFrame,
    communities: pd.DataFrame,
    measure: str = "criminal",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Monthly ranking of stations (月度排名) by the month's count of ``measure`` (fewest first).

    Ties share a rank (competition ranking, :data:`RANK_METHOD`); zero counts rank first.

    Returns
    -------
    pandas.DataFrame
        rank, station_id, name, name_en, cases, residents, rate_per_10k (cases per 10,000
        residents, from ``communities.residents``), rank_by_rate, two_robberies_one_theft,
        previous_month, mom_change/status/p/significant, month_last_year,
        yoy_change/status/p/significant; sorted by rank.
    """
    if measure not in MEASURES:
        raise InputError(f"measure={measure!r}: use one of {', '.join(MEASURES)}",
                         code="param.measure", value=str(measure), known=", ".join(MEASURES))
    units = stations["station_id"].astype(str)
    wins = {k: windows[k] for k in ("month", "previous_month", "month_last_year")}
    ms = {measure: MEASURES[measure], "two_robberies_one_theft": MEASURES["two_robberies_one_theft"]}
    cm = count_matrix(incidents, level="station", measures=ms, windows=wins, units=units)
    out = pd.DataFrame(
        {
            "station_id": units.to_numpy(),
            "name": stations["name"].astype(str).to_numpy(),
            "name_en": _name_en(stations).astype(str).to_numpy(),
            "cases": cm[(measure, "month")].to_numpy(),
        }
    )
    res = _residents_by_station(communities)
    out["residents"] = _whole(out["station_id"].map(res))
    resid = out["residents"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate_per_10k"] = np.where(resid > 0, out["cases"] / resid * 1e4, np.nan)
    out["two_robberies_one_theft"] = cm[("two_robberies_one_theft", "month")].to_numpy()
    out["month"] = out["cases"]
    out["previous_month"] = _counts_column(cm[(measure, "previous_month")].to_numpy(), wins["previous_month"].covered)
    out["month_last_year"] = _counts_column(cm[(measure, "month_last_year")].to_numpy(), wins["month_last_year"].covered)
    out = _attach_changes(out, windows, alpha=alpha, comparisons={k: COMPARISONS[k] for k in ("mom", "yoy")})
    out = out.drop(columns="month")
    out.insert(0, "rank", _rank(out["cases"]))
    out.insert(7, "rank_by_rate", _rank(pd.Series(out["rate_per_10k"], dtype=float)))
    return out.sort_values(["rank", "rate_per_10k", "station_id"], kind="stable").reset_index(drop=True)


def neighborhood_ranking(
    incidents: pd.DataFrame,
    *,
    windows: Mapping[str, Window],
    neighborhoods: pd.DataFrame,
    stations: pd.DataFrame,
    communities: pd.DataFrame,
    measure: str = "criminal",
) -> pd.DataFrame:
    """Each station's neighborhoods ranked by the month's count of ``measure`` (fewest first).

    Returns
    -------
    pandas.DataFrame
        station_id, station_name, station_name_en, rank (within the station; competition ranking),
        neighborhood_id, name, name_en, community_id, community_name, households, cases,
        rate_per_1k_households, rank_by_rate, two_robberies_one_theft, previous_month,
        month_last_year, designated_model; sorted by station, rank.
    """
    wins = {k: windows[k] for k in ("month", "previous_month", "month_last_year")}
    ms = {measure: MEASURES[measure], "two_robberies_one_theft": MEASURES["two_robberies_one_theft"]}
    nb = neighborhoods
    ids = nb["neighborhood_id"].astype(str)
    cm = count_matrix(incidents, level="neighborhood", measures=ms, windows=wins, units=ids)
    st_name = stations.set_index(stations["station_id"].astype(str))
    cm_name = communities.set_index(communities["community_id"].astype(str))
    hh = nb["households"] if "households" in nb.columns else pd.Series(np.nan, index=nb.index)
    out = pd.DataFrame(
        {
            "station_id": nb["station_id"].astype(str).to_numpy(),
            "neighborhood_id": ids.to_numpy(),
            "name": nb["name"].astype(str).to_numpy(),
            "name_en": _name_en(nb).astype(str).to_numpy(),
            "community_id": nb["community_id"].astype(str).to_numpy(),
            "households": _whole(hh).to_numpy(),
            "cases": cm[(measure, "month")].to_numpy(),
        }
    )
    out.insert(1, "station_name", out["station_id"].map(st_name["name"].astype(str)).to_numpy())
    out.insert(2, "station_name_en", out["station_id"].map(_name_en(st_name).astype(str)).to_numpy())
    out["community_name"] = out["community_id"].map(cm_name["name"].astype(str)).to_numpy()
    h = out["households"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate_per_1k_households"] = np.where(h > 0, out["cases"] / h * 1e3, np.nan)
    out["two_robberies_one_theft"] = cm[("two_robberies_one_theft", "month")].to_numpy()
    out["previous_month"] = _counts_column(cm[(measure, "previous_month")].to_numpy(), wins["previous_month"].covered)
    out["month_last_year"] = _counts_column(cm[(measure, "month_last_year")].to_numpy(), wins["month_last_year"].covered)
    out["designated_model"] = (_model_kind(nb) != "").to_numpy(dtype=bool)
    out.insert(3, "rank", _rank(out["cases"], out["station_id"]))
    out.insert(out.columns.get_loc("rate_per_1k_households") + 1, "rank_by_rate",
               _rank(pd.Series(out["rate_per_1k_households"], dtype=float), out["station_id"]))
    return out.sort_values(["station_id", "rank", "rate_per_1k_households", "neighborhood_id"],
                           kind="stable").reset_index(drop=True)
