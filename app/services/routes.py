"""Shift plans (``patrolnet routes``): brigade routes over their beats and "1+2+N" loops in the
neighborhoods, for the district or one station's teams, written as GeoJSON, GPX, KML, printable
patrol sheets and a dosage table."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from app.report_render import file_part, file_stem
from app.services.fanout import Fanout
from app.services.params import parse_shift, route_kinds, shift_day, station_rows
from app.storage.workspace import Workspace, file_version
from geo.collector import collector_paused
from geo.errors import InputError
from geo.jsonsafe import to_jsonable
from geo.progress import Progress, no_progress
from routing.export import file_parts, keep_file_parts, sheet_streets, write_routes
from routing.graph import (
    StreetLines,
    graph_from_layers,
    mark_neighborhoods,
    road_layers,
    street_lines_of_layer,
)
from routing.patrol import (
    PLAN_INCIDENT_COLUMNS,
    PLANNED_UNIT_KINDS,
    incident_window,
    plan_shift,
    shift_window,
)
from routing.patrol.parallel import join_pieces, largest_first, plan_piece, prepare, shift_pieces

__all__ = ["ROUTE_FORMATS", "PlanNetwork", "forget_networks", "plan_incidents", "plan_network", "plan_summary",
           "routes_job", "workspace_beats"]

#: The files a plan is written as (a folder gets all of them).
ROUTE_FORMATS = (".geojson", ".gpx", ".kml", ".html", ".csv", ".zip")


@collector_paused()  # a city's graph and plans: many small objects, few cycles (geo.collector)
def routes_job(
    ws: Workspace,
    *,
    shift: str,
    date: dt.date | None = None,
    out: str | Path,
    kinds: Sequence[str] | None = None,
    team_minutes: float = 120.0,
    time_limit_s: float = 0.1,
    lookback_days: float = 365.0,
    progress: Progress | None = None,
    station_id: str | None = None,
    fanout: Fanout | None = None,
) -> tuple[list[Any], list[Path]]:
    """Plan a shift for every unit (or, with ``station_id``, that station's grid teams only) and
    write the plans.

    ``shift`` is checked by :func:`app.services.params.parse_shift` (``22:00至06:00`` too); ``date``
    defaults to today in the workspace's time zone; ``kinds`` by
    :func:`app.services.params.route_kinds` (a station never plans the brigade's vehicles). ``out``
    is a file (its suffix picks the format: .geojson, .gpx, .kml, .html patrol sheets, .csv dosage
    table, .zip every unit's own GPX, KML and sheet) or a folder, which gets all six, named with the
    workspace, date and shift. Beats come
    from the workspace's ``edge_owners`` layer and the grid teams' areas from ``grid_team_areas``
    when ``patrolnet split`` has run (else both are made afresh for the plan).

    ``fanout`` (:func:`app.services.fanout.open_fanout`): with Dask workers, the shift is planned in
    pieces on them (one per beat of the brigade, and the grid teams in groups of whole stations:
    :func:`routing.patrol.parallel.shift_pieces`), the road graph and the incidents shipped to each
    worker once; the plans are the same, in the same order, as planned in this process.
    """
    report = progress or no_progress
    parse_shift(shift)
    kinds = route_kinds(kinds, station_id)
    unsupported = [k for k in kinds if k not in PLANNED_UNIT_KINDS]
    if unsupported:
        raise InputError(f"unit kind(s) {', '.join(unsupported)} are not kinds of patrol unit; choose among "
                         f"{', '.join(PLANNED_UNIT_KINDS)}", code="param.unit_kinds",
                         kinds=", ".join(unsupported))
    out = Path(out)
    if out.suffix and out.suffix.lower() not in ROUTE_FORMATS:
        raise InputError(f"--out {out}: use a folder, or a file ending in {', '.join(ROUTE_FORMATS)}",
                         code="param.out_routes", value=out.name)
    if not ws.has("units") or ws.count("units") == 0:
        raise InputError(f"workspace '{ws.path}' has no patrol units; import them with "
                         f"'patrolnet import WS units FILE', or have some suggested to edit first: "
                         f"'patrolnet units suggest WS --out units.csv'", code="data.no_units")
    units = station_rows(ws.read("units"), station_id)
    if station_id is not None and not len(units[units["kind"].isin(list(kinds))]):
        raise InputError(f"station {station_id} has no units of kind(s) {', '.join(kinds)} in the units layer",
                         code="station.no_units", station=station_id, kinds=", ".join(kinds))
    date = shift_day(ws, date)
    start, end = shift_window(shift, date=date, tz=ws.timezone)
    report("road graph", 0.0)
    net = plan_network(ws)
    G, beats, team_areas, neighborhoods = net.G, net.beats, net.team_areas, net.neighborhoods
    report("plan", 0.0)
    incidents = plan_incidents(ws, start, lookback_days=lookback_days)
    options = {"shift_start": start, "shift_end": end, "team_budget_min": team_minutes,
               "time_limit_s": time_limit_s, "lookback_days": lookback_days}
    sheets = out.suffix.lower() in ("", ".html", ".zip")  # the sheets' maps are drawn on the streets
    if fanout is None or fanout.in_process:
        plans = plan_shift(G, units, incidents=incidents, beats=beats, neighborhoods=neighborhoods,
                           team_areas=team_areas, kinds=tuple(kinds), progress=lambda share: report("plan", share),
                           **options)
    else:
        shared, pieces = shift_pieces(G, units, kinds=tuple(kinds), incidents=incidents, beats=beats,
                                      neighborhoods=neighborhoods, team_areas=team_areas,
                                      shift_start=start, shift_end=end,
                                      lookback_days=lookback_days, team_groups=3 * fanout.workers)
        shared_values = {"G": G, "incidents": incidents, "shift_start": start, "shift_end": end, **shared}
        team_options = {"team_budget_min": team_minutes, "time_limit_s": time_limit_s, "lookback_days": lookback_days}
        pieces = [{**piece, **team_options} if piece["part"] == "teams" else piece for piece in pieces]

        def progressed(share: float) -> None:
            report("plan", share)

        if fanout.inherits:
            # forked processes start with what this one built (the tables, the streets) and make the
            # files' parts of each piece's plans (sheets, tracks, folders) where they planned it
            prepare(G, tuple(kinds))
            streets = net.streets() if sheets else None
            order = largest_first(pieces)  # the processes' ends evened out by the short pieces
            made = fanout.map(_plan_with_file_parts, [pieces[i] for i in order],
                              shared={**shared_values, "streets": streets}, progress=progressed)
            results: list[Any] = [None] * len(pieces)
            for i, (piece_plans, parts) in zip(order, made):
                keep_file_parts(piece_plans, parts)
                results[i] = piece_plans
        else:
            results = fanout.map(plan_piece, pieces, shared=shared_values, progress=progressed,
                                 meanwhile=net.streets if sheets else None)  # this process is free then
        plans = join_pieces(units, results)
    report("plan", 1.0)
    written: list[Path] = []
    streets = net.streets() if sheets else None
    if out.suffix:
        out.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_routes(plans, out, streets=streets))
    else:
        out.mkdir(parents=True, exist_ok=True)
        tag = f"{file_stem(ws.path.stem, date.isoformat())}-{shift.replace(':', '').replace('-', '_')}"
        if station_id is not None:  # a station's plan: named by the station (北湖路派出所), not its code
            names_of = (ws.read("stations", columns=["station_id", "name"]).set_index("station_id")["name"]
                        if ws.has("stations") else pd.Series(dtype=str))
            tag += f"-{file_part(names_of.get(station_id, station_id)) or station_id}"
        names = {".geojson": "routes", ".gpx": "routes", ".kml": "routes", ".html": "patrol-sheets", ".csv": "dosage",
                 ".zip": "units"}
        paths = {suffix: out / f"{tag}-{names[suffix]}{suffix}" for suffix in ROUTE_FORMATS}
        file_parts(plans, streets=streets)  # each plan's parts made once (or kept from the forked processes)
        with ThreadPoolExecutor(max_workers=1) as pool:  # the zip compressed beside the other files: zlib
            zipped = pool.submit(write_routes, plans, paths[".zip"], streets=streets)  # lets go of the GIL
            done: dict[str, Path] = {}
            for suffix in ROUTE_FORMATS:
                if suffix != ".zip":
                    done[suffix] = write_routes(plans, paths[suffix], streets=streets)
                    report("write", len(done) / len(ROUTE_FORMATS))
            done[".zip"] = zipped.result()
        written += [done[suffix] for suffix in ROUTE_FORMATS]
        report("write", 1.0)
    return plans, written


def _plan_with_file_parts(*, streets: Any, **piece: Any) -> tuple[list[Any], list[Any]]:
    """A piece's plans (:func:`routing.patrol.parallel.plan_piece`) and their files' parts made on
    ``streets`` (:func:`routing.export.file_parts`), in the process that planned them."""
    plans = plan_piece(**piece)
    return plans, file_parts(plans, streets=streets)


@dataclass
class PlanNetwork:
    """What every shift of one workspace is planned on: the road graph (its stops named by the
    neighborhoods), the brigade's beats and the grid teams' areas of the split, the neighborhoods,
    and the streets the sheets' maps are drawn on (made when first asked)."""

    G: Any
    beats: pd.Series | None
    team_areas: Any
    neighborhoods: Any
    lines: StreetLines | None = None  # G's streets, each once (routing.graph.street_lines)
    _streets: Any = None

    def streets(self) -> Any:
        if self._streets is None:
            self._streets = sheet_streets(self.G, lines=self.lines)
        return self._streets


#: The network of the workspace planned last in this process, with the version of the file it was
#: read from: a job worker planning again (another shift, a station's plan, a re-plan) reads and
#: builds nothing of it again, nor its arc tables; any write to the workspace makes it anew. One
#: kept: a city's graph holds a gigabyte.
_KEPT: dict[str, tuple[tuple[int, ...], PlanNetwork]] = {}
_KEPT_LOCK = threading.Lock()


def plan_incidents(ws: Workspace, shift_start: dt.datetime, *, lookback_days: float) -> pd.DataFrame | None:
    """The incidents a shift's plan weighs (``None`` without an ``incidents`` layer): the columns it
    reads (:data:`routing.patrol.PLAN_INCIDENT_COLUMNS`), the rows of its look-back window
    (:func:`routing.patrol.incident_window`) with a day's margin each side for the zones' offsets,
    in the layer's order. The rows left unread would weigh nothing: the plan is the same."""
    if not ws.has("incidents"):
        return None
    present = ws.read("incidents", max_features=0).columns
    columns = [c for c in PLAN_INCIDENT_COLUMNS if c in present]
    if "occurred_at" not in present:
        return ws.read("incidents", columns=columns)
    first, last = incident_window(shift_start, lookback_days=lookback_days)
    # the times are kept as ISO text in the zone's offset (TIMESTAMPTZ on PostgreSQL): text compares
    # as time does, to within the offsets, which the margin covers; the window itself is applied by
    # the plan (routing.patrol.shift._incident_weights)
    lo = (first - pd.Timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    hi = (last + pd.Timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return ws.read("incidents", columns=columns, where=f"occurred_at >= '{lo}' AND occurred_at < '{hi}'")


def plan_network(ws: Workspace) -> PlanNetwork:
    """The :class:`PlanNetwork` of ``ws``, kept from the last plan in this process when the workspace
    file is the same (inode, modification time and size; a PostgreSQL workspace is read each time)."""
    path = getattr(ws, "path", None)
    version = file_version(path) if isinstance(path, Path) and path.is_file() else None
    principal = getattr(ws, "principal", None)  # a view cut to one station is kept apart from the whole
    key = f"{path}|{principal.scope_key if principal is not None else ''}"
    with _KEPT_LOCK:
        kept = _KEPT.get(key)
    if version is not None and kept is not None and kept[0] == version:
        return kept[1]
    net = _read_network(ws)
    if version is not None:
        with _KEPT_LOCK:
            _KEPT.clear()
            _KEPT[key] = (version, net)
    return net


@collector_paused()
def _read_network(ws: Workspace) -> PlanNetwork:
    """The :class:`PlanNetwork` of ``ws``, read and built."""
    nodes, edges, main = road_layers(ws)
    G = graph_from_layers(nodes, edges, main=main)
    lines = street_lines_of_layer(edges, main=main)  # the graph's streets, read from the layer
    del nodes, edges
    neighborhoods = ws.read("neighborhoods") if ws.has("neighborhoods") else None
    mark_neighborhoods(G, neighborhoods, streets=lines)  # stops at a gate or beside a neighborhood are named by it
    # the grid teams' areas of the split when it has run (else made from the neighborhoods per plan)
    team_areas = ws.read("grid_team_areas") if ws.has("grid_team_areas") and ws.count("grid_team_areas") else None
    return PlanNetwork(G, workspace_beats(ws), team_areas, neighborhoods, lines)


def forget_networks() -> None:
    """Drop the network kept by :func:`plan_network` (the next plan reads and builds it again)."""
    with _KEPT_LOCK:
        _KEPT.clear()


def workspace_beats(ws: Workspace) -> pd.Series | None:
    """The brigade's beats of the workspace's split (``edge_owners``): ``edge_id -> beat``, or
    ``None`` before ``patrolnet split`` has run."""
    if not ws.has("edge_owners"):
        return None
    owners = ws.read("edge_owners", columns=["edge_id", "beat"], where="beat IS NOT NULL")
    if not len(owners):
        return None
    return pd.Series(owners["beat"].astype(int).to_numpy(), index=owners["edge_id"].astype(int).to_numpy())


def plan_summary(plans: Sequence[Any], *, day: dt.date, shift: str) -> dict[str, Any]:
    """What a shift's plan is, in short (the web job's result, the record's, the re-plan's diff):
    day, shift and per unit its id, kind, name, line-up, beat, length (km), duration (min) and stops."""
    units = [{"unit_id": str(pl.unit_id), "unit_kind": str(pl.unit_kind), "name": str(pl.name),
              "lineup": pl.lineup, "beat": to_jsonable(pl.beat),
              "length_km": round(pl.length_m / 1000, 2), "duration_min": round(pl.duration_min, 1),
              "stops": len(pl.stops)} for pl in plans]
    return {"date": day.isoformat(), "shift": shift, "units": units}
