"""Shift plans and other outputs as durable records (issue 14): record, list, read, submit, approve.

Both shells call these; the rules of the review live here once:

* what a user sees: a station user its own station's records, everyone else every record;
* who moves a plan on: a plan is *submitted* by its station (or a commander) and *approved* by a
  user with the ``approve`` permission; approving supersedes the earlier approved plan of each unit
  of it for the same day and shift (:meth:`app.storage.records.RecordStore.change`);
* which files a record exposes: the files recorded with it, by exact name, in its own folder.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from app.services.params import canonical_shift
from app.storage import is_url, open_store
from app.storage.access import ForbiddenError, Principal
from app.storage.pg import parse_location
from app.storage.records import Record
from geo.errors import InputError

__all__ = ["RECORDED_KINDS", "approve_plan", "count_records", "get_record", "inputs_version", "list_records", "record_file", "record_output",
           "records_dir", "replan_changes", "submit_plan"]


#: The use cases whose outputs are records (the job kind or command -> the record's kind); the
#: others (imports, the split, hotspots, backtests) change the workspace or are looked at once.
RECORDED_KINDS: dict[str, str] = {
    "routes": "routes", "report": "report", "camera_gaps": "camera_gaps", "camera_site": "camera_siting",
    "forecast": "forecast",
}


def inputs_version(ws: Any) -> str:
    """Which state of the workspace an output was made from: its ``updated_at`` (every write sets it)."""
    return str(ws.meta.get("updated_at") or ws.meta.get("created_at") or "")


def records_dir(workspace: str | os.PathLike[str]) -> Path:
    """Where copies of recorded files live when their own folder is not the record's (owner-only):
    beside the ``.gpkg`` file, or for a PostgreSQL workspace ``./.<schema>.records``."""
    if is_url(workspace):
        return Path.cwd() / f".{parse_location(os.fspath(workspace))[1]}.records"
    path = Path(workspace)
    return path.with_name(f".{path.stem}.records")


def record_output(
    workspace: str | os.PathLike[str],
    *,
    kind: str,
    author: str,
    params: Mapping[str, Any],
    inputs: str,
    folder: str | os.PathLike[str],
    files: Sequence[str],
    result: Mapping[str, Any] | None = None,
    station_id: str | None = None,
    record_id: str | None = None,
    keep_copy: bool = False,
) -> Record:
    """Record one finished output (a shift plan starts as a draft).

    For a plan (kind ``routes``) the day, shift and planned units are taken from ``result``
    (``date``, ``shift``, ``units[].unit_id``), so the review can tell which plans overlap.
    With ``keep_copy`` (a folder the user may write again, as the command line's ``--out``), the
    files are copied into the record's own folder under :func:`records_dir` first, so that a later
    run into the same folder cannot change what was recorded.
    """
    result = dict(result or {})
    if kind == "routes" and result.get("shift"):
        result["shift"] = canonical_shift(str(result["shift"]))
        result["changes"] = replan_changes(workspace, result, station_id=station_id)
    if keep_copy:
        record_id = record_id or f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}-{kind}"
        own = records_dir(workspace) / record_id
        own.mkdir(parents=True, exist_ok=False, mode=0o700)
        for name in files:
            shutil.copy2(Path(folder) / name, own / name)
        folder = own
    units = [str(u.get("unit_id")) for u in result.get("units", []) if isinstance(u, Mapping)]
    return open_store(workspace).records().add(
        kind=kind, author=author, params=params, inputs_version=inputs, folder=folder, files=files,
        result=result, station_id=station_id, day=result.get("date"), shift=result.get("shift"), units=units,
        record_id=record_id,
    )


#: What tells two plans of a unit apart in their summaries.
_COMPARED = ("length_km", "duration_min", "stops")


def replan_changes(workspace: str | os.PathLike[str], result: Mapping[str, Any], *,
                   station_id: str | None = None) -> dict[str, Any] | None:
    """What a new plan changes against the latest earlier plan of the same day, shift and scope that
    shares a unit with it: units added and removed, units whose route changed (length, duration or
    stops, old and new) and how many stayed the same. ``None`` for a first plan."""
    units = {str(u["unit_id"]): u for u in result.get("units", []) if isinstance(u, Mapping)}
    earlier = [r for r in open_store(workspace).records().list(kind="routes", day=result.get("date"),
                                                      shift=result.get("shift"), limit=10_000)
               if r.station_id == station_id and set(r.units) & set(units)]
    if not earlier:
        return None
    prev = earlier[0]  # newest first
    old = {str(u["unit_id"]): u for u in prev.result.get("units", []) if isinstance(u, Mapping)}
    changed = []
    for uid in sorted(set(units) & set(old)):
        diff = {k: [old[uid].get(k), units[uid].get(k)] for k in _COMPARED if old[uid].get(k) != units[uid].get(k)}
        if diff:
            changed.append({"unit_id": uid, **diff})
    return {"previous": prev.id, "added": sorted(set(units) - set(old)), "removed": sorted(set(old) - set(units)),
            "changed": changed, "same": len(set(units) & set(old)) - len(changed)}


def _visible(rec: Record, user: Principal) -> bool:
    return not user.scoped or rec.station_id == user.station_id


def _scope(user: Principal, shift: str | None, station_id: str | None) -> tuple[str | None, str | None] | None:
    """The filters a user's listing runs with (a station user: its own station's; a shift written one
    way), or None when the user may see nothing of what was asked."""
    if shift is not None:
        shift = canonical_shift(shift)
    if user.scoped:
        if station_id not in (None, user.station_id):
            return None
        station_id = user.station_id
    return shift, station_id


def list_records(
    workspace: str | os.PathLike[str],
    user: Principal,
    *,
    kind: str | None = None,
    day: str | None = None,
    shift: str | None = None,
    station_id: str | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Record]:
    """The records ``user`` may see, newest first (a station user: its own station's only)."""
    scope = _scope(user, shift, station_id)
    if scope is None:
        return []
    return open_store(workspace).records().list(kind=kind, day=day, shift=scope[0], station_id=scope[1], status=status,
                                       limit=limit, offset=offset)


def count_records(
    workspace: str | os.PathLike[str],
    user: Principal,
    *,
    kind: str | None = None,
    day: str | None = None,
    shift: str | None = None,
    station_id: str | None = None,
    status: str | None = None,
) -> int:
    """How many records :func:`list_records` finds for ``user`` (all pages)."""
    scope = _scope(user, shift, station_id)
    if scope is None:
        return 0
    return open_store(workspace).records().count(kind=kind, day=day, shift=scope[0], station_id=scope[1], status=status)


def get_record(workspace: str | os.PathLike[str], record_id: str, user: Principal) -> Record:
    """One record ``user`` may see.

    Raises
    ------
    InputError
        No such record, or one of another station for a station user (said alike: a station does not
        learn which ids exist elsewhere).
    """
    rec = open_store(workspace).records().get(record_id)
    if not _visible(rec, user):
        raise InputError(f"no record {record_id!r}", code="records.not_found", id=record_id)
    return rec


def submit_plan(workspace: str | os.PathLike[str], record_id: str, user: Principal) -> Record:
    """A station (or a commander) hands a draft plan in for approval."""
    rec = get_record(workspace, record_id, user)
    if user.scoped and rec.station_id != user.station_id:
        raise ForbiddenError(f"plan {record_id} belongs to another station ({rec.station_id})",
                             code="records.other_station", id=record_id, station=str(rec.station_id))
    return open_store(workspace).records().change(record_id, "submit", actor=user.username)


def approve_plan(workspace: str | os.PathLike[str], record_id: str, user: Principal) -> Record:
    """A commander approves a plan; earlier approved plans of its units (same day and shift) are
    superseded in the same step.

    Raises
    ------
    ForbiddenError
        The user may not approve plans.
    """
    if not user.can("approve"):
        raise ForbiddenError(f"not allowed: {user.role} users do not approve plans", code="records.may_not_approve",
                             role=user.role)
    get_record(workspace, record_id, user)
    return open_store(workspace).records().change(record_id, "approve", actor=user.username)


def record_file(workspace: str | os.PathLike[str], record_id: str, name: str, user: Principal) -> Path:
    """The path of file ``name`` of a record: only a file recorded with it, in its own folder.

    Raises
    ------
    InputError
        The record has no such file (any other name, a path, or a file since removed).
    """
    rec = get_record(workspace, record_id, user)
    path = (rec.folder / name).resolve()
    if name not in rec.files or path.parent != rec.folder.resolve() or not path.is_file():
        raise InputError(f"record {record_id} has no file {name!r}; its files: {', '.join(rec.files)}",
                         code="records.no_file", id=record_id, name=name, files=", ".join(rec.files))
    return path
