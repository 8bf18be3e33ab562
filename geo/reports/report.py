"""The report object: its tables with the definition of their figures, JSON form, and the
incidents behind any cell."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from geo.errors import InputError
from geo.jsonsafe import to_jsonable

from .measures import COMPARISONS, LEVEL_COLUMN, Measure
from .windows import Window

__all__ = ["Report", "ReportTable", "cell_incident_ids", "cell_incidents"]


@dataclass(frozen=True)
class ReportTable:
    """One table of a report and the definition of its figures.

    Parameters
    ----------
    key
        Stable identifier (also the sheet / CSV name).
    title
        (zh-CN, en).
    frame
        The table.
    definition
        (zh-CN, en) text defining the table.
    level
        Level of every row, or ``None`` when the frame has a ``level`` column.
    unit_col
        Column with the unit id (``None`` for the district, or with ``level`` from the frame:
        ``unit_id``).
    measure
        Measure of every row, or ``None`` when the frame has a ``measure`` column.
    columns
        Count-bearing column -> the (window, measure) pairs behind it; measure ``None`` means the
        row's measure. Change, rate and rank columns list every count they derive from.
    id_columns
        Count column -> column holding its incident ids (``;``-joined), for tables whose counts are
        not a plain filter (the bulletins' nearby streets).
    """

    key: str
    title: tuple[str, str]
    frame: pd.DataFrame
    definition: tuple[str, str]
    level: str | None = None
    unit_col: str | None = None
    measure: str | None = None
    columns: Mapping[str, tuple[tuple[str, str | None], ...]] = field(default_factory=dict)
    id_columns: Mapping[str, str] = field(default_factory=dict)

    def definition_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title_zh": self.title[0],
            "title_en": self.title[1],
            "definition_zh": self.definition[0],
            "definition_en": self.definition[1],
            "level": self.level,
            "unit_column": self.unit_col,
            "measure": self.measure,
            "columns": {c: [{"window": w, "measure": m or "(row measure)"} for w, m in v] for c, v in self.columns.items()},
            "id_columns": dict(self.id_columns),
            "rows": len(self.frame),
        }


@dataclass(frozen=True)
class Report:
    """A monthly report: windows, measures, tables and the incidents behind them.

    Attributes
    ----------
    workspace
        Workspace name (for file names).
    district
        District name.
    month
        ``YYYY-MM``.
    as_of
        Last day of data.
    timezone
        Workspace time zone.
    windows, measures
        Definitions used by the tables.
    tables
        Key -> :class:`ReportTable`: ``headline``, ``comparison``, ``station_ranking``,
        ``neighborhood_ranking``, ``model_neighborhoods``, ``model_offices``, ``bulletins``.
    incidents
        The prepared incidents (:func:`prepare_incidents`).
    settings
        Options the report was built with.
    notes
        (zh-CN, en) notes on data coverage and definitions.
    """

    workspace: str
    district: str
    month: str
    as_of: dt.date
    timezone: str
    windows: dict[str, Window]
    measures: dict[str, Measure]
    tables: dict[str, ReportTable]
    incidents: pd.DataFrame
    settings: dict[str, Any]
    notes: tuple[tuple[str, str], ...] = ()

    def table(self, key: str) -> pd.DataFrame:
        """The frame of table ``key`` (a copy)."""
        if key not in self.tables:
            raise InputError(f"report has no table {key!r}; tables: {', '.join(self.tables)}",
                             code="report.no_table", table=str(key), tables=", ".join(self.tables))
        return self.tables[key].frame.copy()

    def headline(self) -> pd.DataFrame:
        return self.table("headline")

    def as_dict(self) -> dict[str, Any]:
        """Every number with its definition, JSON-ready (NaN -> None, dates as ISO text)."""
        return {
            "workspace": self.workspace,
            "district": self.district,
            "month": self.month,
            "as_of": self.as_of.isoformat(),
            "timezone": self.timezone,
            "settings": to_jsonable(self.settings),
            "windows": {k: w.as_dict() for k, w in self.windows.items()},
            "measures": {k: m.as_dict() for k, m in self.measures.items()},
            "comparisons": {k: {"current": a, "baseline": b} for k, (a, b) in COMPARISONS.items()},
            "notes": [{"zh": z, "en": e} for z, e in self.notes],
            "tables": {
                k: {**t.definition_dict(), "records": _records(t.frame)} for k, t in self.tables.items()
            },
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    obj = frame.astype(object).where(frame.notna(), None)
    return [to_jsonable(r) for r in obj.to_dict(orient="records")]


# -- tracing ---------------------------------------------------------------------------------------
def _row(table: ReportTable, row: int | str) -> pd.Series:
    frame = table.frame
    if row not in frame.index:
        raise InputError(f"table {table.key!r} has no row {row!r}; rows are {frame.index[0]}..{frame.index[-1]}",
                         code="report.no_row", table=table.key, row=str(row), first=str(frame.index[0]),
                         last=str(frame.index[-1]))
    return frame.loc[row]


def cell_incidents(report: Report, table: str, row: int | str, column: str) -> pd.DataFrame:
    """The incidents behind one cell, with the window (and measure) each was counted in.

    Parameters
    ----------
    report
        A :class:`Report`.
    table
        Table key (``report.tables``).
    row
        Row label of the table's frame.
    column
        A count-bearing column (see :attr:`ReportTable.columns` / ``id_columns``).

    Returns
    -------
    pandas.DataFrame
        The prepared incident rows, plus ``window`` and ``measure`` columns; a change cell returns the
        incidents of both of its periods.

    Raises
    ------
    InputError
        Unknown table, row or a column that is not a count.
    """
    if table not in report.tables:
        raise InputError(f"report has no table {table!r}; tables: {', '.join(report.tables)}",
                         code="report.no_table", table=str(table), tables=", ".join(report.tables))
    tab = report.tables[table]
    r = _row(tab, row)
    inc = report.incidents
    if column in tab.id_columns:
        ids = [i for i in str(r[tab.id_columns[column]] or "").split(";") if i]
        out = inc[inc["incident_id"].isin(ids)].copy()
        (w, m), = tab.columns.get(column, (("week", None),))
        out["window"], out["measure"] = w, m or tab.measure
        return out.sort_values(["occurred_at", "incident_id"]).reset_index(drop=True)
    if column not in tab.columns:
        raise InputError(
            f"column {column!r} of table {table!r} is not a count; traceable columns: "
            f"{', '.join(list(tab.columns) + list(tab.id_columns))}",
            code="report.not_a_count", column=str(column), table=str(table),
            columns=", ".join(list(tab.columns) + list(tab.id_columns)),
        )
    level = tab.level if tab.level is not None else str(r["level"])
    unit = None if level == "district" else str(r[tab.unit_col or "unit_id"])
    parts = []
    for wkey, mkey in tab.columns[column]:
        measure = report.measures[mkey or (tab.measure if tab.measure is not None else str(r["measure"]))]
        window = report.windows[wkey]
        m = measure.mask(inc) & window.mask(inc["occurred_at"])
        col = LEVEL_COLUMN[level]
        if col is not None:
            m &= inc[col] == unit
        part = inc[m.to_numpy()].copy()
        part["window"], part["measure"] = wkey, measure.key
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["window", "occurred_at", "incident_id"], kind="stable").reset_index(drop=True)


def cell_incident_ids(report: Report, table: str, row: int | str, column: str) -> list[str]:
    """The incident ids behind one cell (sorted); see :func:`cell_incidents`."""
    return sorted(cell_incidents(report, table, row, column)["incident_id"].tolist())
