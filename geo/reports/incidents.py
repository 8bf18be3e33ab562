"""The incident columns the reports use: checked, in the workspace time zone, main roads told apart."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.schema import CATEGORIES, DEFAULT_TIMEZONE, MAIN_HIGHWAYS, PLACE_KINDS

__all__ = ["prepare_incidents"]


def _ids(values: pd.Series) -> np.ndarray:
    """Id or name text as an object array, ``None`` where missing or blank."""
    text = values.astype("string").str.strip()
    keep = (text.notna() & (text != "")).to_numpy(dtype=bool, na_value=False)
    return np.where(keep, text.to_numpy(dtype=object, na_value=None), None)


def prepare_incidents(
    incidents: pd.DataFrame,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    road_edges: pd.DataFrame | None = None,
    main_highways: Iterable[str] | None = None,
    categories: Mapping[str, tuple[str, str, str]] | None = None,
) -> pd.DataFrame:
    """The incident columns the reports use, checked, as a new plain table.

    Parameters
    ----------
    incidents
        The ``incidents`` layer (needs incident_id, occurred_at, category, place_kind; uses
        station_id, community_id, neighborhood_id, edge_id, main_road and the point geometry when
        present). Naive times are read in ``timezone``.
    timezone
        Workspace time zone.
    road_edges
        The ``road_edges`` layer (edge_id, highway, name), to tell main-road street incidents and
        name their road. Without it the incidents' ``main_road`` column is used.
    main_highways
        Highway values counted as main roads; default :data:`geo.schema.MAIN_HIGHWAYS`.
    categories
        The workspace's categories (:func:`geo.categories.category_table`: code -> (zh-CN, en,
        group)); default the built-in :data:`geo.schema.CATEGORIES`. Each incident's ``group`` is
        its category's.

    Returns
    -------
    pandas.DataFrame
        incident_id, occurred_at (tz-aware, in ``timezone``), category, group, place_kind,
        station_id, community_id, neighborhood_id, edge_id, main_road (bool), road_name, x, y
        (working CRS; NaN without geometry). ``attrs["main_road_source"]`` says where main_road came
        from.

    Raises
    ------
    InputError
        Missing columns, unknown category codes or place kinds, unreadable times.
    """
    missing = [c for c in ("incident_id", "occurred_at", "category", "place_kind") if c not in incidents.columns]
    if missing:
        raise InputError(
            f"incidents: missing column(s) {', '.join(missing)}; import incidents with these columns "
            f"(see docs/data-model.md)",
            code="layer.missing_columns", layer="incidents", columns=", ".join(missing),
        )
    table = CATEGORIES if categories is None else categories
    cat = incidents["category"].astype("string")
    unknown = sorted(set(cat.dropna().unique()) - set(table))
    if unknown or cat.isna().any():
        shown = ", ".join(repr(u) for u in unknown[:10]) or "empty"
        raise InputError(
            f"incidents: unknown category code(s) {shown}; use one of {', '.join(table)} "
            f"(map them when importing)",
            code="report.unknown_categories", codes=str(shown), known=", ".join(table),
        )
    pk = incidents["place_kind"].astype("string")
    bad_pk = sorted(set(pk.dropna().unique()) - set(PLACE_KINDS))
    if bad_pk or pk.isna().any():
        raise InputError(
            f"incidents: place_kind value(s) {', '.join(repr(b) for b in bad_pk) or 'empty'}; "
            f"use 'street' or 'neighborhood'",
            code="report.bad_place_kind", values=", ".join(repr(b) for b in bad_pk) or "''",
        )
    raw = incidents["occurred_at"]
    try:
        if pd.api.types.is_datetime64_any_dtype(raw):
            occ = raw
        else:
            text = raw.astype("string")
            aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)\s*$", regex=True, na=False).any()
            occ = pd.to_datetime(text, format="ISO8601", utc=bool(aware))
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"incidents: occurred_at cannot be read as times ({exc}); use ISO 8601 with an offset, "
            f"e.g. 2025-03-01T20:15:00+08:00",
            code="report.bad_times", reason=str(exc),
        ) from None
    if occ.isna().any():
        first = incidents.loc[occ.isna(), "incident_id"].iloc[0]
        raise InputError(f"incidents: empty occurred_at in {int(occ.isna().sum())} row(s), first {first!r}; fill or drop them",
                         code="report.empty_times", n=int(occ.isna().sum()), first=str(first))
    occ = occ.dt.tz_localize(timezone) if occ.dt.tz is None else occ.dt.tz_convert(timezone)
    n = len(incidents)
    idx = incidents.index
    out = pd.DataFrame(
        {
            "incident_id": incidents["incident_id"].astype(str).to_numpy(),
            "occurred_at": occ.reset_index(drop=True),
            "category": cat.astype(str).to_numpy(),
            "place_kind": pk.astype(str).to_numpy(),
        },
        index=pd.RangeIndex(n),
    )
    out["group"] = out["category"].map({c: g for c, (_, _, g) in table.items()})
    for col in ("station_id", "community_id", "neighborhood_id"):
        out[col] = _ids(incidents[col]) if col in incidents.columns else None
    street = out["place_kind"].to_numpy() == "street"
    if "edge_id" in incidents.columns:
        eid = pd.to_numeric(incidents["edge_id"], errors="coerce").astype("Int64")
    else:
        eid = pd.Series(pd.array([pd.NA] * n, dtype="Int64"), index=idx)
    out["edge_id"] = eid.to_numpy()
    road_name = pd.Series([None] * n, dtype=object)
    if road_edges is not None and {"edge_id", "highway"} <= set(road_edges.columns):
        if main_highways is None:
            main_highways = MAIN_HIGHWAYS
        edges = pd.DataFrame(road_edges).drop_duplicates("edge_id")
        eidx = pd.to_numeric(edges["edge_id"], errors="coerce").astype("Int64")
        first = edges["highway"].astype("string").str.split(";").str[0].str.strip()
        is_main = pd.Series(first.isin(list(main_highways)).fillna(False).to_numpy(), index=eidx.to_numpy())
        main = pd.Series(eid.to_numpy()).map(is_main).fillna(False).astype(bool).to_numpy()
        source = "road_edges.highway"
        if "name" in edges.columns:
            names = pd.Series(_ids(edges["name"]), index=eidx.to_numpy())
            road_name = pd.Series(eid.to_numpy()).map(names).astype(object)
            road_name = road_name.where(road_name.notna(), None)
    elif "main_road" in incidents.columns:
        main = incidents["main_road"].astype("boolean").fillna(False).astype(bool).to_numpy()
        source = "incidents.main_road"
    else:
        main = np.zeros(n, dtype=bool)
        source = "none"
    out["main_road"] = main & street
    out["road_name"] = np.where(street, road_name.to_numpy(), None)
    if "geometry" in incidents.columns:
        arr = shapely.centroid(np.asarray(incidents["geometry"].to_numpy(), dtype=object))
        out["x"], out["y"] = shapely.get_x(arr), shapely.get_y(arr)
    else:
        out["x"], out["y"] = np.nan, np.nan
    out.attrs["main_road_source"] = source
    out.attrs["main_highways"] = list(main_highways) if main_highways is not None else None
    return out
