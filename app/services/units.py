"""Patrol units suggested for a workspace that has none (``patrolnet units suggest``): written as a
CSV or Excel table the commander edits and then imports (``patrolnet import WS units FILE``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from app.services.routes import workspace_beats
from app.storage.workspace import Workspace
from geo.errors import InputError
from geo.writers import write_safe_csv, write_safe_xlsx

__all__ = ["UNIT_TABLE_COLUMNS", "suggest_units_file"]

#: The columns of the suggested table, as ``patrolnet import WS units`` reads them back.
UNIT_TABLE_COLUMNS = ("unit_id", "kind", "name", "station_id", "community_id", "officers", "auxiliaries",
                      "volunteers", "mode", "lon", "lat", "note")


def suggest_units_file(ws: Workspace, out: str | Path, *, cars: int | None = None) -> tuple[Path, dict[str, Any]]:
    """Suggest units for ``ws`` (:func:`routing.patrol.suggest.suggest_units`: one brigade car per
    beat of the split, or per 50 km of main roads, or ``cars``; one grid team per community or per
    square kilometre of local streets) and write them to ``out`` (``.csv``, UTF-8 with a byte-order
    mark for Excel, or ``.xlsx``) with each base as ``lon``/``lat`` (WGS84). Returns the file and
    the counts per kind."""
    from routing.graph import graph_from_workspace
    from routing.patrol.suggest import suggest_units

    out = Path(out)
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError(f"--out {out.name}: write the suggested units as a .csv or .xlsx file",
                         code="param.out_units", value=out.name)
    if cars is not None and cars < 1:
        raise InputError(f"--cars {cars}: give at least 1 brigade car", code="param.at_least", name="--cars",
                         value=str(cars), min=1)
    G = graph_from_workspace(ws)
    neighborhoods = ws.read("neighborhoods") if ws.has("neighborhoods") and ws.count("neighborhoods") else None
    units = suggest_units(G, beats=workspace_beats(ws), neighborhoods=neighborhoods, cars=cars)
    ll = units.to_crs("EPSG:4326")
    table = pd.DataFrame(units.drop(columns="geometry"))
    table["lon"] = ll.geometry.x.round(7).to_numpy()
    table["lat"] = ll.geometry.y.round(7).to_numpy()
    table = table[list(UNIT_TABLE_COLUMNS)]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".xlsx":
        write_safe_xlsx([("units", table)], out)
    else:
        write_safe_csv(table, out)
    return out, {k: int(v) for k, v in table["kind"].value_counts().sort_index().items()}
