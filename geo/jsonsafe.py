"""JSON-safe values: the one converter from numpy/pandas/date values to plain JSON values."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["json_rows", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Return ``value`` made of plain JSON values (recursively through dicts, lists and tuples).

    numpy scalars become Python numbers; dates and timestamps ISO 8601 text; ``NaN``, infinities,
    ``None``, ``pd.NA`` and ``pd.NaT`` become ``None``; dictionary keys become text; a path becomes
    its file name only (a server's folders are never shown to a client).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp | dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.name
    return value


def json_rows(frame: pd.DataFrame, limit: int | None = None) -> list[dict[str, Any]]:
    """The first ``limit`` rows (all without it) of a table as JSON-safe records, without geometry."""
    part = frame if limit is None else frame.head(limit)
    part = pd.DataFrame(part.drop(columns=[c for c in ("geometry",) if c in part.columns]))
    return [{str(k): to_jsonable(v) for k, v in rec.items()} for rec in part.astype(object).to_dict(orient="records")]
