"""Spreadsheet-safe writers: CSV cells no spreadsheet runs as formulas, and XLSX workbooks.

A cell of an exported table may hold text from a user's file (an address, a road name, a column
header). Opened in Excel or WPS, text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return runs as a formula (CSV injection). :func:`csv_safe` and :func:`csv_safe_frame` neutralise such
cells; :func:`write_safe_csv` and :func:`write_safe_xlsx` write tables with them neutralised, each
file replaced atomically (:func:`geo.atomic.atomic_path`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.atomic import atomic_path

__all__ = ["FORMULA_PREFIXES", "csv_safe", "csv_safe_frame", "write_safe_csv", "write_safe_xlsx"]

#: Cell starts a spreadsheet runs as a formula.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Prefix text a spreadsheet would run as a formula with ``'`` (other values pass unchanged).

    Cells starting with ``= + - @``, a tab or a carriage return are neutralised (OWASP's list);
    numbers, None and NaN are returned as they are. The one cell neutraliser of the project
    (:mod:`geo.cameras.export` and :mod:`app.report_render` use it too).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame, *, headers: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell made spreadsheet-safe by :func:`csv_safe`.

    Vectorised over text columns (object, string and categorical); numeric, datetime and geometry
    columns are left alone. With ``headers`` the column names are made safe too (they may come from
    a user's file). The input is not changed.
    """
    out = frame.copy()
    for i, col in enumerate(frame.columns):
        values = out.iloc[:, i]
        if isinstance(values.dtype, pd.CategoricalDtype):
            cats = values.cat.categories
            if pd.api.types.is_object_dtype(cats) or pd.api.types.is_string_dtype(cats):
                out.isetitem(i, values.cat.rename_categories([csv_safe(c) for c in cats])
                             if len(set(map(csv_safe, cats))) == len(cats) else values.astype(object).map(csv_safe))
            continue
        if not (pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)):
            continue
        if values.dtype.name == "geometry":
            continue
        is_text = values.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool)
        if not is_text.any():
            continue
        text = values[is_text].astype(str)
        hit = text.str.startswith(FORMULA_PREFIXES).to_numpy(dtype=bool)
        if hit.any():
            cells = values.to_numpy(dtype=object, copy=True)
            where = np.flatnonzero(is_text.to_numpy())[hit]
            cells[where] = ("'" + text[hit]).to_numpy(dtype=object)
            out.isetitem(i, pd.Series(cells, index=values.index, name=values.name).astype(values.dtype))
    if headers:
        out.columns = [csv_safe(c) for c in out.columns]
    return out


def write_safe_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, encoding: str = "utf-8-sig") -> Path:
    """Write ``frame`` as a spreadsheet-safe CSV, atomically; return the path.

    Cells and headers go through :func:`csv_safe_frame`; lines end in CRLF so that every cell
    holding a line break (``\\r`` or ``\\n``) is quoted: with pandas' default ``\\n`` a bare
    ``\\r`` inside a cell is written unquoted, and Excel starts a new row there, whose first cell
    may then be a live formula. UTF-8 with BOM (opens in Excel with Chinese intact). The file is
    written to a temporary name beside ``path``, flushed to disk and moved over ``path``
    (:func:`geo.atomic.atomic_path`).
    """
    path = Path(path)
    safe = csv_safe_frame(pd.DataFrame(frame))
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as fh:
        safe.to_csv(fh, index=False, lineterminator="\r\n")
    return path


def _xlsx_width(value: object) -> int:
    """Display width of a cell's first line (CJK characters count double)."""
    s = "" if value is None else str(value).split("\n")[0]
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def _xlsx_value(v: Any) -> Any:
    """A cell value openpyxl takes: missing -> empty, numpy -> Python; dates stay dates (not
    :func:`geo.jsonsafe.to_jsonable`, which would make them text)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v


#: The time written into a workbook's zip entries without a ``stamp``: the zip format's earliest.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>|<dcterms:(created|modified)\b[^>]*/>")


def _reproducible_zip(src: Path, dst: Path, stamp: dt.datetime | None) -> None:
    """Copy the workbook ``src`` to ``dst`` with nothing of the moment it was written: every entry
    dated ``stamp`` (UTC; else 1980-01-01), in the same order, and the document properties' created
    and modified times set to ``stamp`` (else left out; both are optional in OOXML)."""
    if stamp is not None:
        utc = (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        when = max(_ZIP_EPOCH, (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second))
        iso = utc.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    else:
        when, iso = _ZIP_EPOCH, b""

    def core(m: re.Match[bytes]) -> bytes:
        if not iso:
            return b""
        tag = m.group(1) or m.group(2)
        return b"<dcterms:%s xsi:type=\"dcterms:W3CDTF\">%s</dcterms:%s>" % (tag, iso, tag)

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(core, data)
            info = zipfile.ZipInfo(item.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            info.create_system = 3
            zout.writestr(info, data)


def write_safe_xlsx(sheets: Sequence[tuple[str, pd.DataFrame]], path: str | os.PathLike[str], *,
                    stamp: dt.datetime | None = None, rows_done: Callable[[float], None] | None = None) -> Path:
    """Write tables as an Excel workbook, one sheet each, atomically.

    Headers bold with the first row frozen, columns sized to their content (CJK counted double),
    text stored as text (never run as a formula), multi-line text wrapped, dates formatted, missing
    values left empty and numbers kept as numbers.

    The same tables give the same bytes: the workbook carries no time of writing (openpyxl stamps
    its document properties and zip entries with the clock; they are rewritten). ``stamp`` is the
    time it should carry instead, derived from its inputs (the report's period, the plan's shift);
    without one the properties have no created/modified time and the entries are dated 1980-01-01.
    ``rows_done(share)`` is called as the rows go in (every 1,000 rows, 0-1 of all sheets' rows): a
    workbook of 20,000 rows takes seconds.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    total = max(1, sum(len(t) for _, t in sheets))
    done = 0
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, table in sheets:
        ws = wb.create_sheet(title=str(title)[:31])
        ws.freeze_panes = "A2"
        cols = [str(c) for c in table.columns]
        values = table.to_numpy(dtype=object)
        widths = [_xlsx_width(c) for c in cols]
        for j in range(len(cols)):
            if len(values):
                widths[j] = max(widths[j], max(_xlsx_width(v) for v in values[:2000, j]))
        for j, w in enumerate(widths):
            ws.column_dimensions[get_column_letter(j + 1)].width = min(60, max(8, w + 2))
        header = []
        for c in cols:
            cell = WriteOnlyCell(ws, value=c)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in values:
            cells: list[Any] = []
            for v in row:
                v = _xlsx_value(v)
                if isinstance(v, str) and (v.startswith("=") or "\n" in v):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.data_type = "s"  # text, never a formula
                    if "\n" in v:
                        cell.alignment = wrap
                    cells.append(cell)
                elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.number_format = "yyyy-mm-dd"
                    cells.append(cell)
                else:
                    cells.append(v)
            ws.append(cells)
            done += 1
            if rows_done is not None and done % 1000 == 0:
                rows_done(done / total)
    with atomic_path(path, suffix=".tmp.xlsx") as tmp:
        raw = tmp.with_name(tmp.name + ".raw")
        try:
            wb.save(raw)
            _reproducible_zip(raw, tmp, stamp)
        finally:
            raw.unlink(missing_ok=True)
    return path
