"""Time profiles: hour-of-day x day-of-week counts of incidents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from geo.errors import InputError

from .inputs import select_incidents

__all__ = ["time_profile"]


def time_profile(
    incidents: pd.DataFrame,
    *,
    by: Sequence[str] | str | None = None,
    categories: Iterable[str] | str | None = None,
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """Hour-of-day x day-of-week counts, overall or per group (e.g. ``by=("station_id", "category")``).

    Times are read in their own (local) time zone. Returns a long table: the ``by`` columns,
    ``weekday`` (0 = Monday), ``hour`` (0-23), ``count`` and ``share`` (of the group's total); every
    weekday x hour appears for every group (zeros included).
    """
    sel = select_incidents(incidents, categories=categories, start=start, end=end)
    if "occurred_at" not in sel.columns:
        raise InputError("incidents have no 'occurred_at' column", code="layer.missing_columns",
                         layer="incidents", columns="occurred_at")
    keys = [by] if isinstance(by, str) else list(by or [])
    missing = [k for k in keys if k not in sel.columns]
    if missing:
        raise InputError(f"time_profile: no column(s) {missing} in the incidents", code="layer.missing_columns",
                         layer="incidents", columns=", ".join(missing))
    occ = pd.to_datetime(sel["occurred_at"])
    slot = (occ.dt.day_of_week * 24 + occ.dt.hour).to_numpy(np.int64)
    if keys:
        codes, uniques = pd.MultiIndex.from_frame(sel[keys].astype("string").fillna("")).factorize()
        ng = len(uniques)
    else:
        codes = np.zeros(len(sel), dtype=np.int64)
        uniques = None
        ng = 1
    counts = np.bincount(codes * 168 + slot, minlength=ng * 168).reshape(ng, 168) if len(sel) else np.zeros((ng, 168), np.int64)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, counts / np.where(total > 0, total, 1), 0.0)
    out = pd.DataFrame({
        "weekday": np.tile(np.repeat(np.arange(7), 24), ng),
        "hour": np.tile(np.arange(24), 7 * ng),
        "count": counts.ravel(),
        "share": share.ravel(),
    })
    if keys and uniques is not None:
        grp = pd.DataFrame(list(uniques), columns=keys) if len(uniques) else pd.DataFrame(columns=keys)
        rep = grp.loc[np.repeat(np.arange(ng), 168)].reset_index(drop=True)
        out = pd.concat([rep, out], axis=1)
    return out
