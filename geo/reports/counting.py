"""Counting figures: counts per unit and window, changes with their small-number test, the
comparison table (year over year, month over month, year to date) of every unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import binom

from geo.errors import InputError

from .measures import (
    _COUNT_WINDOWS,
    COMPARISONS,
    LEVEL_COLUMN,
    LEVELS,
    MEASURES,
    NEIGHBORHOOD_MEASURES,
    Measure,
)
from .windows import Window

__all__ = ["compare_changes", "comparison_table", "count_matrix"]


def count_matrix(
    incidents: pd.DataFrame,
    *,
    level: str,
    measures: Mapping[str, Measure] | Sequence[Measure],
    windows: Mapping[str, Window] | Sequence[Window],
    units: Sequence[str] | pd.Index | None = None,
) -> pd.DataFrame:
    """Counts per unit of ``level`` for every (measure, window): one groupby over indicator columns.

    Parameters
    ----------
    incidents
        Prepared incidents (:func:`prepare_incidents`).
    level
        One of :data:`LEVELS`.
    measures, windows
        What to count and when.
    units
        Unit ids to report (missing ones get zeros; others are dropped); default the ids present.

    Returns
    -------
    pandas.DataFrame
        Index: unit id (``"district"`` for the district); columns: MultiIndex (measure, window).
    """
    if level not in LEVELS:
        raise InputError(f"level={level!r}: use one of {', '.join(LEVELS)}",
                         code="param.level", value=str(level), known=", ".join(LEVELS))
    ms = list(measures.values()) if isinstance(measures, Mapping) else list(measures)
    ws = list(windows.values()) if isinstance(windows, Mapping) else list(windows)
    occ = incidents["occurred_at"]
    mm = {m.key: m.mask(incidents).to_numpy() for m in ms}
    wm = {w.key: w.mask(occ).to_numpy() for w in ws}
    cols = pd.MultiIndex.from_tuples([(m.key, w.key) for m in ms for w in ws], names=["measure", "window"])
    if len(cols) == 0:
        return pd.DataFrame(index=pd.Index(list(units) if units is not None else [], name="unit_id"), columns=cols)
    ind = np.column_stack([mm[m] & wm[w] for m, w in cols]) if len(incidents) else np.zeros((0, len(cols)), bool)
    frame = pd.DataFrame(ind.astype(np.int64), columns=cols)
    col = LEVEL_COLUMN[level]
    key = np.full(len(incidents), "district", dtype=object) if col is None else incidents[col].to_numpy()
    counts = frame.groupby(key, dropna=True).sum()
    counts.index = counts.index.astype(object)
    counts.index.name = "unit_id"
    if units is not None:
        counts = counts.reindex(pd.Index(list(units), name="unit_id"), fill_value=0)
    return counts.astype(np.int64)


def compare_changes(
    current: Sequence[float] | np.ndarray | pd.Series,
    baseline: Sequence[float] | np.ndarray | pd.Series,
    *,
    current_days: float = 1.0,
    baseline_days: float = 1.0,
    baseline_covered: bool = True,
) -> pd.DataFrame:
    """Change of counts against a baseline, honest about zeros and small numbers.

    Parameters
    ----------
    current, baseline
        Counts (same length).
    current_days, baseline_days
        Window lengths (the test's null hypothesis is equal rates per day).
    baseline_covered
        False when the data do not cover the baseline window (status ``no_baseline``).

    Returns
    -------
    pandas.DataFrame
        ``change`` (fraction, NaN unless status is ``change``), ``status`` (``change`` | ``new`` |
        ``both_zero`` | ``no_baseline``), ``p_value`` (two-sided exact conditional binomial test;
        NaN for ``no_baseline``).

    Examples
    --------
    >>> compare_changes([0, 3, 5], [0, 0, 10])["status"].tolist()
    ['both_zero', 'new', 'change']
    """
    cur = np.asarray(current, dtype=float)
    base = np.asarray(baseline, dtype=float)
    if cur.shape != base.shape:
        raise InputError(f"current and baseline differ in length ({cur.size} vs {base.size})")
    status = np.select(
        [np.full(cur.shape, not baseline_covered), (base == 0) & (cur == 0), base == 0],
        ["no_baseline", "both_zero", "new"],
        "change",
    ).astype(object)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(status == "change", (cur - base) / np.where(base == 0, 1.0, base), np.nan)
    n = cur + base
    p = current_days / (current_days + baseline_days)
    lo = binom.cdf(cur, n, p)
    hi = binom.sf(cur - 1, n, p)
    pval = np.minimum(1.0, 2.0 * np.minimum(lo, hi))
    pval = np.where(status == "no_baseline", np.nan, pval)
    return pd.DataFrame({"change": change, "status": status, "p_value": pval})


# -- units -----------------------------------------------------------------------------------------
def _name_en(frame: pd.DataFrame) -> pd.Series:
    if "name_en" in frame.columns:
        en = frame["name_en"].astype(object)
        return en.where(en.notna() & (en.astype(str).str.strip() != ""), frame["name"].astype(object))
    return frame["name"].astype(object)


def _units(
    level: str,
    *,
    district: str,
    stations: pd.DataFrame,
    communities: pd.DataFrame,
    neighborhoods: pd.DataFrame,
) -> pd.DataFrame:
    """unit_id, name, name_en, station_id, community_id for one level."""
    if level == "district":
        return pd.DataFrame(
            {"unit_id": ["district"], "name": [district], "name_en": [district],
             "station_id": [None], "community_id": [None]}
        )
    src = {"station": stations, "community": communities, "neighborhood": neighborhoods}[level]
    idcol = LEVEL_COLUMN[level]
    out = pd.DataFrame(
        {
            "unit_id": src[idcol].astype(str).to_numpy(),
            "name": src["name"].astype(str).to_numpy(),
            "name_en": _name_en(src).astype(str).to_numpy(),
            "station_id": src["station_id"].astype(str).to_numpy(),
            "community_id": src["community_id"].astype(str).to_numpy() if level != "station" else None,
        }
    )
    return out.sort_values("unit_id", kind="stable").reset_index(drop=True)


def _attach_changes(frame: pd.DataFrame, windows: Mapping[str, Window], *, alpha: float,
                    comparisons: Mapping[str, tuple[str, str]] = COMPARISONS) -> pd.DataFrame:
    for name, (a, b) in comparisons.items():
        wa, wb = windows[a], windows[b]
        ch = compare_changes(
            frame[a].astype(float).to_numpy(), frame[b].astype(float).fillna(0).to_numpy(),
            current_days=wa.days, baseline_days=wb.days, baseline_covered=wb.covered,
        )
        frame[f"{name}_change"] = ch["change"].to_numpy()
        frame[f"{name}_status"] = ch["status"].to_numpy()
        frame[f"{name}_p"] = ch["p_value"].to_numpy()
        frame[f"{name}_significant"] = (ch["p_value"] < alpha).to_numpy()
    return frame


def _counts_column(values: np.ndarray | pd.Series, covered: bool) -> pd.Series:
    s = pd.Series(np.asarray(values), dtype="Int64")
    return s if covered else pd.Series(pd.array([pd.NA] * len(s), dtype="Int64"))


def comparison_table(
    incidents: pd.DataFrame,
    *,
    windows: Mapping[str, Window],
    district: str,
    stations: pd.DataFrame,
    communities: pd.DataFrame,
    neighborhoods: pd.DataFrame,
    levels: Sequence[str] = LEVELS,
    measures: Mapping[str, Measure] = MEASURES,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Year over year (同比), month over month (环比) and year to date, for every unit and measure.

    Returns
    -------
    pandas.DataFrame
        One row per (level, unit, measure): level, unit_id, name, name_en, station_id,
        community_id, measure, the counts month, month_last_year, previous_month, ytd,
        ytd_last_year (empty when the data do not cover the window) and for each comparison
        (yoy, mom, ytd_yoy) ``*_change``, ``*_status``, ``*_p``, ``*_significant``.
    """
    wins = {k: windows[k] for k in _COUNT_WINDOWS}
    parts = []
    for level in levels:
        units = _units(level, district=district, stations=stations, communities=communities,
                       neighborhoods=neighborhoods)
        lm = {k: m for k, m in measures.items() if level != "neighborhood" or k in NEIGHBORHOOD_MEASURES}
        cm = count_matrix(incidents, level=level, measures=lm, windows=wins, units=units["unit_id"])
        for key in lm:
            part = units.copy()
            part.insert(0, "level", level)
            part["measure"] = key
            for wk, w in wins.items():
                part[wk] = _counts_column(cm[(key, wk)].to_numpy(), w.covered)
            parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return _attach_changes(out, windows, alpha=alpha)


def _whole(values: pd.Series) -> pd.Series:
    """Numbers rounded to nullable integers (missing stays missing)."""
    num = pd.to_numeric(pd.Series(values), errors="coerce").astype("Float64")
    return num.round().astype("Int64").reset_index(drop=True)


def _model_kind(neighborhoods: pd.DataFrame) -> pd.Series:
    """The ``model_kind`` text of each neighborhood, ``""`` when not designated."""
    if "model_kind" not in neighborhoods.columns:
        return pd.Series("", index=neighborhoods.index, dtype=object)
    return neighborhoods["model_kind"].astype("string").fillna("").str.strip().astype(object)
