"""The split as one table: a row per owner (the brigade, each station), then a row per beat."""

from __future__ import annotations

import numpy as np
import pandas as pd

from routing.split.beats import beat_table

__all__ = ["split_summary"]


def split_summary(
    edge_owners: pd.DataFrame,
    *,
    beats: pd.DataFrame | None = None,
    neighborhoods: pd.DataFrame | None = None,
    subzones: pd.DataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    stations: pd.DataFrame | None = None,
    grid_areas: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The split as one table: a row per owner (the brigade, each station), then a row per beat.

    Parameters
    ----------
    edge_owners
        :func:`assign_edge_owners`' frame (indexed by ``edge_id``).
    beats
        :func:`brigade_beats`' frame.
    neighborhoods, subzones
        Layers with ``station_id`` (neighborhoods also ``households``), counted per station.
    incidents
        Incidents: a street incident (``place_kind == 'street'``, or no ``place_kind``) snapped to
        an edge (``edge_id``) counts for the edge's owner and beat; any other incident for its
        ``station_id``. Incidents with neither are not counted (``attrs['incidents_unplaced']``).
    stations
        The stations layer: every station gets a row (even one holding no road) and its ``name``.
    grid_areas
        :func:`grid_team_areas`' frame, counted per station.

    Returns
    -------
    DataFrame
        ``row`` (``owner`` | ``beat``), ``owner_kind`` (``brigade`` | ``station``), ``owner_id``
        (``brigade``, a station_id, or a beat id ``B01``...), ``name``, ``main_km`` and
        ``local_km`` (kilometres, each street once), ``edges`` (directed), ``neighborhoods``,
        ``households``, ``subzones``, ``grid_teams``, ``incidents``, and for beats ``workload``
        and ``share`` (workload / mean). Counts are NA where their layer was not given.
    """
    key = ["owner_kind", "owner_id"]
    segs = edge_owners.drop_duplicates("segment")
    km = segs.assign(km=segs["length_m"] / 1000.0)
    station_ids = set(edge_owners.loc[edge_owners["owner_kind"] == "station", "owner_id"].dropna().astype(str))
    names: dict[str, str] = {}
    if stations is not None:
        station_ids |= set(stations["station_id"].astype(str))
        if "name" in stations:
            names = dict(zip(stations["station_id"].astype(str), stations["name"].astype(str)))
    has_brigade = bool((edge_owners["owner_kind"] == "brigade").any()) or beats is not None
    owner_ids = (["brigade"] if has_brigade else []) + sorted(station_ids)
    table = pd.DataFrame({
        "row": "owner",
        "owner_kind": ["brigade" if i == "brigade" else "station" for i in owner_ids],
        "owner_id": owner_ids,
    })
    table["name"] = [("特巡警大队" if i == "brigade" else names.get(i, pd.NA)) for i in owner_ids]
    idx = pd.MultiIndex.from_frame(table[key])
    per_class = km.groupby(key + ["road_class"])["km"].sum()
    for cls in ("main", "local"):
        present = cls in per_class.index.get_level_values("road_class")
        sub = per_class.xs(cls, level="road_class") if present else None
        table[f"{cls}_km"] = sub.reindex(idx, fill_value=0.0).to_numpy() if sub is not None else 0.0
    table["edges"] = edge_owners.groupby(key).size().reindex(idx, fill_value=0).to_numpy()
    is_station = table["owner_kind"] == "station"

    def per_station(frame: pd.DataFrame | None, value: str | None = None) -> pd.Series:
        if frame is None or "station_id" not in frame or (value is not None and value not in frame):
            return pd.Series(pd.NA, index=table.index, dtype="Int64")
        sid = frame["station_id"].astype(str)
        if value is None:
            counts = sid.value_counts()
        else:
            counts = pd.to_numeric(frame[value], errors="coerce").groupby(sid).sum()
        return table["owner_id"].map(counts).fillna(0).where(is_station, 0).round().astype("Int64")

    table["neighborhoods"] = per_station(neighborhoods)
    table["households"] = per_station(neighborhoods, "households")
    table["subzones"] = per_station(subzones)
    table["grid_teams"] = per_station(grid_areas)
    table["incidents"] = pd.Series(pd.NA, index=table.index, dtype="Int64")
    beat_counts = None
    unplaced = 0
    if incidents is not None:
        n = len(incidents)
        eid = (pd.to_numeric(incidents["edge_id"], errors="coerce") if "edge_id" in incidents
               else pd.Series(np.nan, index=incidents.index))
        street = (incidents["place_kind"].astype(str).eq("street") if "place_kind" in incidents
                  else pd.Series(True, index=incidents.index))
        on_edge = (street & eid.isin(edge_owners.index)).to_numpy()
        kind = np.full(n, None, dtype=object)
        who = np.full(n, None, dtype=object)
        e_ids = eid.to_numpy()[on_edge].astype(np.int64)
        kind[on_edge] = edge_owners.loc[e_ids, "owner_kind"].astype(str).to_numpy()
        who[on_edge] = edge_owners.loc[e_ids, "owner_id"].astype(str).to_numpy()
        if "station_id" in incidents:
            rest = ~on_edge & incidents["station_id"].notna().to_numpy()
            kind[rest] = "station"
            who[rest] = incidents["station_id"].astype(str).to_numpy()[rest]
        placed = kind != None  # noqa: E711 - elementwise on an object array
        unplaced = int((~placed).sum())
        counts = pd.Series(1, index=pd.MultiIndex.from_arrays([kind[placed], who[placed]]))
        counts = counts.groupby(level=[0, 1]).sum()
        table["incidents"] = pd.array(counts.reindex(idx, fill_value=0).to_numpy(), dtype="Int64")
        if beats is not None:
            on_beat = street.to_numpy() & eid.isin(beats.index).to_numpy()
            beat_counts = beats.loc[eid.to_numpy()[on_beat].astype(np.int64), "beat"].value_counts()
    table["workload"] = np.nan
    table["share"] = np.nan
    if beats is not None and len(beats):
        bt = beat_table(beats)
        na = pd.array([pd.NA] * len(bt), dtype="Int64")
        brows = pd.DataFrame({
            "row": "beat",
            "owner_kind": "brigade",
            "owner_id": bt["beat_id"].to_numpy(),
            "name": [f"巡区 {i}" for i in bt["beat_id"]],
            "main_km": bt["length_m"].to_numpy() / 1000.0,
            "local_km": 0.0,
            "edges": bt["edges"].to_numpy(),
            "neighborhoods": na, "households": na, "subzones": na, "grid_teams": na,
            "incidents": pd.array(
                [int(beat_counts.get(b, 0)) for b in bt.index] if beat_counts is not None else [pd.NA] * len(bt),
                dtype="Int64",
            ),
            "workload": bt["workload"].to_numpy(),
            "share": bt["share"].to_numpy(),
        })
        table = pd.concat([table, brows], ignore_index=True)
    table["name"] = table["name"].astype("string")
    table.attrs["incidents_unplaced"] = unplaced
    return table
