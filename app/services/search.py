"""Find a place by its name on any map page (issue 18): a neighborhood (龙凤花园), a road (北湖路), a
station or a community, in the workspace as the user may see it (a station user: its own area).

The names come from the workspace's own layers; each answer carries its bounds in WGS84 so that the
map frames it.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app.i18n import t

__all__ = ["MAX_RESULTS", "place_index", "search_places"]

#: Answers one search gives at most.
MAX_RESULTS = 12
#: What is searched: (layer, kind, id column or None for a road's pieces gathered by name).
_LAYERS = (("neighborhoods", "neighborhood", "neighborhood_id"), ("stations", "station", "station_id"),
           ("communities", "community", "community_id"), ("road_edges", "road", None))


def place_index(ws: Any) -> pd.DataFrame:
    """Every named place of ``ws``: ``kind``, ``name``, ``id``, bounds in WGS84 (``w s e n``); a road
    once per name, its bounds those of all its pieces."""
    parts = []
    for layer, kind, key in _LAYERS:
        if not ws.has(layer):
            continue
        frame = ws.read(layer, columns=["name"] + ([key] if key else []))
        frame = frame[frame["name"].notna() & (frame["name"].astype(str).str.strip() != "")]
        if frame.empty:
            continue
        b = gpd.GeoSeries(frame.geometry, crs=ws.crs).to_crs("EPSG:4326").bounds
        table = pd.DataFrame({"kind": kind, "name": frame["name"].astype(str).to_numpy(),
                              "id": frame[key].astype(str).to_numpy() if key else frame["name"].astype(str).to_numpy(),
                              "w": b["minx"].to_numpy(), "s": b["miny"].to_numpy(), "e": b["maxx"].to_numpy(),
                              "n": b["maxy"].to_numpy()})
        if key is None:  # a road's pieces: one answer per name
            table = table.groupby("name", as_index=False, sort=True).agg(
                kind=("kind", "first"), id=("id", "first"), w=("w", "min"), s=("s", "min"), e=("e", "max"), n=("n", "max"))
        parts.append(table[["kind", "name", "id", "w", "s", "e", "n"]])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["kind", "name", "id", "w", "s", "e", "n"])


def search_places(index: pd.DataFrame, query: str, *, lang: str = "zh-CN", limit: int = MAX_RESULTS) -> dict[str, Any]:
    """The places of ``index`` whose name holds ``query`` (case-insensitive): exact names first, then
    names that begin with it, then the shorter; each with its kind said in ``lang`` and its centre."""
    q = (query or "").strip()
    if not q or index.empty:
        return {"query": q, "results": []}
    names = index["name"].str.casefold()
    hit = index[names.str.contains(q.casefold(), regex=False)].copy()
    low = hit["name"].str.casefold()
    hit["order"] = np.where(low == q.casefold(), 0, np.where(low.str.startswith(q.casefold()), 1, 2))
    hit = hit.assign(length=hit["name"].str.len()).sort_values(["order", "length", "kind", "name"]).head(limit)
    return {"query": q, "results": [
        {"kind": r.kind, "kind_label": t(f"search.kind.{r.kind}", lang), "name": r.name, "id": r.id,
         "lon": round((r.w + r.e) / 2, 7), "lat": round((r.s + r.n) / 2, 7),
         "bbox": [round(v, 7) for v in (r.w, r.s, r.e, r.n)]} for r in hit.itertuples()]}
