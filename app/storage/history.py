"""A time-stamped layer (the incidents) read by periods, and its first and last times, on any
workspace: the report and the forecast read the months and weeks they use, not the whole history,
so their memory does not grow with the years of incidents kept.

* :func:`time_span`: the first and last time of a column (per value of another), computed by the
  store (:meth:`app.storage.workspace.Workspace.time_span`, SQLite;
  :meth:`app.storage.pg_layers.PgWorkspace.time_span`, PostgreSQL) without reading the rows; a
  view without it (a user's scoped view) reads the columns.
* :func:`read_period`: the rows with a time in ``[start, end)``, through the store's ``where``
  (a GeoPackage compares the stored ISO text, PostgreSQL its ``timestamptz``) widened by a day,
  then cut exactly on the times as read, so every store gives the same rows in the same order
  as a whole read cut the same way.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["read_period", "time_span"]

#: The store's filter is widened by this much on each side (any zone's offset is under a day), the
#: exact cut is made on the times as read.
_PAD = pd.Timedelta(days=1)


def time_span(ws: Any, layer: str, column: str = "occurred_at", *, by: str | None = None) -> pd.DataFrame:
    """The first and last time of ``column`` in ``layer`` of ``ws``, per value of ``by`` when given:
    a table with the ``by`` column (when given), ``first`` and ``last`` (tz-aware, in the
    workspace's zone); no row for an empty layer."""
    native = getattr(ws, "time_span", None)
    if native is not None:
        return native(layer, column, by=by)
    frame = ws.read(layer, columns=[column] + ([by] if by else []))
    times = pd.to_datetime(frame[column])
    keys = [frame[by]] if by else [pd.Series(0, index=frame.index)]
    grouped = times.groupby(keys, sort=True).agg(["min", "max"]).dropna()
    out = grouped.rename(columns={"min": "first", "max": "last"}).reset_index()
    return out[[by, "first", "last"]] if by else out[["first", "last"]]


def _bound(t: pd.Timestamp, tz: str) -> str:
    return pd.Timestamp(t).tz_convert(tz).isoformat()


def read_period(
    ws: Any,
    layer: str,
    *,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    column: str = "occurred_at",
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """The rows of ``layer`` whose ``column`` is in ``[start, end)`` (tz-aware bounds; ``None``:
    open), with only ``columns`` (and ``column``; all when None) and the geometry, in the layer's
    order, indexed from 0."""
    tz = ws.timezone
    parts = []
    if start is not None:
        parts.append(f"{column} >= '{_bound(start - _PAD, tz)}'")
    if end is not None:
        parts.append(f"{column} < '{_bound(end + _PAD, tz)}'")
    if columns is not None and column not in columns:
        columns = [*columns, column]
    frame = ws.read(layer, columns=columns, where=" AND ".join(parts) or None)
    occ = frame[column]
    keep = occ.notna()
    if start is not None:
        keep &= occ >= start
    if end is not None:
        keep &= occ < end
    return frame[keep.to_numpy(dtype=bool)].reset_index(drop=True)
