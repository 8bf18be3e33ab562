"""The job kinds the web app runs, with their parameters: each calls the same use case as the
CLI (:mod:`app.services`) and turns its return value into a small JSON result. No planning logic and
no rule of a use case here: the parameter models check the form of the input (the field types and
ranges the API documents), and their validators call the services' shared rules.

Parameters are validated once, when a job is submitted (FastAPI validates the request body into the
kind's model; :func:`import_params` the upload's form); the job function gets that model as it is.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi.exceptions import RequestValidationError
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, ValidationInfo,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

from app.i18n import t
from app.services.cameras import TOP_GAPS, camera_gaps_job, camera_siting_job, gaps_summary, siting_summary
from app.services.categories import add_category, expand_categories, remove_category, workspace_categories
from app.services.fanout import open_fanout
from app.services.forecast import AUTO, TOP_PLACES, backtest_job, check_weeks, forecast_job, forecast_summary
from app.services.grid import grid_summary, grid_workspace
from app.services.hotspots import check_period, hotspots_job
from app.services.imports import REASON_HEADERS, check_layer, import_file, reasons_in, reject_report_name
from app.services.params import (DEFAULT_ROUTE_KINDS, check_grid_size, parse_day, parse_shift, report_period,
                                 route_kinds, shift_day)
from app.services.reports import half_year_summary, make_half_year_report, make_report, report_summary
from app.services.routes import plan_summary, routes_job
from app.services.split import split_workspace
from app.storage.access import ForbiddenError
from app.web.errors import FeatureUnavailableError
from app.web.messages import join, say, say_error, say_invalid
from app.web.tasks import JobContext, JobKind, JobManager, safe_filename
from app.web.uploads import Upload
from geo.categories import GROUPS, check_category
from geo.coords import COORD_SYSTEM_NAMES
from geo.errors import InputError, PlannerError
from geo.hostile import safe_name
from geo.jsonsafe import json_rows, to_jsonable
from geo.schema import UNIT_KINDS

__all__ = [
    "BacktestParams",
    "CameraGapsParams",
    "ForecastParams",
    "GridParams",
    "HotspotsParams",
    "ImportParams",
    "JOB_KINDS",
    "PARAMS",
    "ReportParams",
    "RoutesParams",
    "SplitParams",
    "cameras_available",
    "reports_available",
]

#: A category code or group (the workspace's own categories too: checked against its table when the job runs,
#: :func:`app.services.categories.expand_categories`).
CategoryCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$", max_length=32)]
UnitKind = Literal[UNIT_KINDS]  # type: ignore[valid-type]


def refused(exc: PlannerError) -> PydanticCustomError:
    """A shared rule's refusal as a validation error of the parameter model: its message key is the
    error's type (said in the page's language by :func:`app.web.messages.say_invalid`), its English
    text and values the error's context."""
    values = {k: v if isinstance(v, int | float | str) else str(v) for k, v in (exc.fmt or {}).items()}
    return PydanticCustomError(exc.code or "value_error", "{message}", {**values, "message": str(exc)})


def _day(value: Any, info: ValidationInfo) -> Any:
    """A day must be written YYYY-MM-DD (the shared rule: pydantic would also read a number as
    seconds since 1970)."""
    try:
        return parse_day(value, what=info.field_name or "day")
    except InputError as exc:
        raise refused(exc) from None


#: A calendar day in parameters: "YYYY-MM-DD" only.
Day = Annotated[dt.date, BeforeValidator(_day)]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoutesParams(_Params):
    """Plan one shift for the chosen unit kinds (``patrolnet routes``)."""

    date: Day | None = Field(None, description="Day of the shift (default: today)")
    shift: str = Field("20:00-24:00", description="Shift window HH:MM-HH:MM (also written with –, ~ or 至 "
                                                  "between the times)", examples=["20:00-24:00", "22:00至06:00"])
    kinds: list[UnitKind] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(DEFAULT_ROUTE_KINDS), min_length=1,
        description="Unit kinds to plan")
    team_minutes: float = Field(120.0, ge=10, le=720, description="Length of a grid team's loop, minutes")
    time_limit_s: float = Field(0.1, ge=0.01, le=10, description="Search effort per team loop, in nominal seconds: a fixed "
                                "count of search rounds (600 a second), not a wall-clock limit, so the "
                                "same inputs give the same plan")
    lookback_days: float = Field(365.0, ge=1, le=3650, description="Incident history that sets risk, days")
    station_id: str | None = Field(None, max_length=64,
                                   description="Plan only this station's teams (a station user: always its own)")

    @field_validator("shift")
    @classmethod
    def _shift(cls, v: str) -> str:
        try:
            return parse_shift(v)
        except InputError as exc:
            raise refused(exc) from None


class BacktestParams(_Params):
    """Rolling-origin weekly backtest of every forecast method (``patrolnet backtest``)."""

    start_week: int = Field(14, ge=1, le=53)
    end_week: int = Field(52, ge=1, le=53)
    tune_weeks: tuple[int, int] | None = Field((2, 13), description="Weeks to tune on, or null")
    cells: Literal["grid", "subzones", "segments"] = "grid"
    cell_m: float = Field(150.0, ge=10, le=5000)
    year: int | None = Field(None, ge=1990, le=2100)
    categories: list[CategoryCode] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _order(self) -> BacktestParams:
        try:
            check_weeks(self.start_week, self.end_week, self.tune_weeks)
        except InputError as exc:
            raise refused(exc) from None
        return self


class SplitParams(_Params):
    """Coverage split: main roads to the brigade in beats, neighborhoods to stations (``patrolnet split``)."""

    brigade_units: int | None = Field(None, ge=1, le=500)
    risk_weighted: bool = False


class GridParams(_Params):
    """Cut the district into sub-zones (``patrolnet grid``); give ``count`` or ``target_area_m2``."""

    count: int | None = Field(None, ge=1, le=100_000)
    target_area_m2: float | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _one(self) -> GridParams:
        try:
            check_grid_size(self.count, self.target_area_m2)
        except InputError as exc:
            raise refused(exc) from None
        return self


class HotspotsParams(_Params):
    """Density, Gi* hot and cold spots, time profile, near repeats (``patrolnet hotspots``)."""

    start: Day | None = Field(None, description="First day (default: the first incident)")
    end: Day | None = Field(None, description="Last day (default: the newest incident)")
    categories: list[CategoryCode] | None = Field(  # type: ignore[valid-type]
        None, description="Category codes or groups, e.g. two_robberies_one_theft")
    cell_m: float = Field(50.0, ge=5, le=1000)
    bandwidth_m: float = Field(200.0, ge=10, le=5000)

    @model_validator(mode="after")
    def _order(self) -> HotspotsParams:
        try:
            check_period(self.start, self.end)
        except InputError as exc:
            raise refused(exc) from None
        return self


class ForecastParams(_Params):
    """Next-period risk per sub-zone, street segment or grid cell (``patrolnet forecast``)."""

    as_of: Day | None = Field(None, description="Last day of data (default: the newest incident)")
    horizon_days: int = Field(7, ge=1, le=92)
    method: str | None = Field(None, description="Forecast method (default and 'auto': counting, unless a model beat "
                               "it on this workspace's last 52 weeks by a backtest; shrinkage on under 14 weeks)")
    cells: Literal["subzones", "segments", "grid"] = "subzones"
    cell_m: float = Field(150.0, ge=10, le=5000)
    categories: list[CategoryCode] | None = None  # type: ignore[valid-type]
    top: int = Field(TOP_PLACES, ge=0, le=500, description="Ranked places returned in the result")

    @field_validator("method")
    @classmethod
    def _method(cls, v: str | None) -> str | None:
        from geo.forecast import METHODS  # the forecast core loads in about a second: only when asked

        if v is not None and v not in (*METHODS, AUTO):
            raise PydanticCustomError("forecast.method", "unknown forecast method {value!r}; use one of {known}",
                                      {"value": v, "known": ", ".join((*METHODS, AUTO))})
        return v


class CameraGapsParams(_Params):
    """The ranked camera gap list (road segments, neighborhood entrances, hot cells) with suggested
    cameras (``patrolnet cameras gaps``)."""

    segment_m: float = Field(50.0, ge=5, le=1000, description="Road pieces of this length (m)")
    risk: bool = Field(True, description="Rank by forecast risk (false: by past incidents only)")
    top: int = Field(TOP_GAPS, ge=0, le=2000, description="Ranked gaps returned in the result")
    station_id: str | None = Field(None, max_length=64,
                                   description="Only this station's gaps (a station user: always its own)")


class CameraSiteParams(_Params):
    """Where K new cameras add the most risk-weighted coverage (``patrolnet cameras site``)."""

    add: int = Field(20, ge=1, le=2000, description="How many new cameras")
    budget_per_station: int | None = Field(None, ge=0, le=2000, description="At most this many per station")
    radius_m: float = Field(50.0, ge=5, le=500, description="A new camera covers this far (m)")
    risk: bool = Field(True, description="Rank by forecast risk (false: by past incidents only)")


class ReportParams(_Params):
    """The method's monthly report (``patrolnet report``): year over year, rankings, model
    neighborhoods, weekly bulletins; or, with ``half``, the half-year station report (``patrolnet
    report --half``); written as HTML, XLSX, CSV and JSON."""

    month: str | None = Field(None, description="Report month YYYY-MM (default: the last full month)",
                              examples=["2026-10"])
    half: str | None = Field(None, max_length=32, description="Instead of a month: the half-year station report, "
                             "YYYY-H1 or YYYY-H2 (give no month with it)",
                             examples=[None])  # the docs' example body asks for the monthly report
    week: str | None = Field(None, description="Bulletin week: a day in it (YYYY-MM-DD) or YYYY-Www")
    controlled_share: float = Field(0.5, gt=0, le=1, description="Fall that makes a model neighborhood 'controlled'")
    lang: Literal["zh-CN", "en"] | None = Field(None, description="Language of the files (default: the request's)")

    @field_validator("month", "half")
    @classmethod
    def _when(cls, v: str | None, info: ValidationInfo) -> str | None:
        try:  # each field said by its own name
            return report_period(v, None)[0] if info.field_name == "month" else report_period(None, v)[1]
        except InputError as exc:
            raise refused(exc) from None

    @model_validator(mode="after")
    def _period(self) -> ReportParams:
        try:
            self.month, self.half = report_period(self.month, self.half)
        except InputError as exc:
            raise refused(exc) from None
        return self


class ImportParams(_Params):
    """Import a table into a layer (``patrolnet import``); the file comes as an upload."""

    layer: Literal["incidents", "cameras", "stations", "communities", "neighborhoods", "units", "tracks"]
    file_name: str
    coords: str = "wgs84"
    column_map: dict[str, str] = Field(default_factory=dict)
    category_map: dict[str, str] = Field(default_factory=dict)
    timezone: str | None = None
    strict: bool = False
    replace: bool = False
    tolerance_m: float = Field(200.0, ge=0)
    encoding: str | None = None
    sheet: str | None = None
    set_values: dict[str, str] = Field(default_factory=dict, description="Columns given one value for the whole file, "
                                       "e.g. {\"unit_id\": \"U0001\"} for a GPX of one unit's phone")

    @field_validator("layer", mode="before")
    @classmethod
    def _layer(cls, v: Any) -> Any:
        try:
            return check_layer(v) if isinstance(v, str) else v
        except InputError as exc:
            raise refused(exc) from None

    @field_validator("coords")
    @classmethod
    def _coords(cls, v: str) -> str:
        v = v.strip()
        if v.lower() in COORD_SYSTEM_NAMES or re.fullmatch(r"(?i)epsg:\d{4,6}", v):
            return v
        raise PydanticCustomError("coords.unknown", "unknown coordinate system {value!r}; use {known}",
                                  {"value": v, "known": f"{', '.join(COORD_SYSTEM_NAMES)}, EPSG:NNNN"})


# -- helpers ------------------------------------------------------------------------------------------
def _names(paths: Mapping[str, Any] | list[Any]) -> Any:
    if isinstance(paths, Mapping):
        return {k: Path(str(v)).name for k, v in paths.items()}
    return [Path(str(v)).name for v in paths]


# -- the jobs -----------------------------------------------------------------------------------------
def run_routes(ctx: JobContext, p: RoutesParams) -> tuple[dict[str, Any], dt.date | None]:
    day = shift_day(ctx.ws, p.date)
    with open_fanout(ctx.dask) as fanout:  # serve/worker --dask: in pieces on Dask; else in this process
        plans, written = routes_job(ctx.ws, shift=p.shift, date=day, out=ctx.out_dir, kinds=tuple(p.kinds),
                                    team_minutes=p.team_minutes, time_limit_s=p.time_limit_s,
                                    lookback_days=p.lookback_days, progress=ctx.progress, station_id=p.station_id,
                                    fanout=fanout)
    by_suffix = {Path(w).suffix.lower(): Path(w).name for w in written}
    return {**plan_summary(plans, day=day, shift=p.shift),
            "routes_geojson": by_suffix.get(".geojson"), "gpx": by_suffix.get(".gpx"),
            "kml": by_suffix.get(".kml"), "sheets": by_suffix.get(".html"),
            "dosage_csv": by_suffix.get(".csv"), "units_zip": by_suffix.get(".zip")}, day


def run_backtest(ctx: JobContext, p: BacktestParams) -> tuple[dict[str, Any], dt.date | None]:
    ctx.progress("backtest", 0.0)
    out = ctx.out_dir / f"{ctx.stem}-backtest-{p.cells}.csv"
    table = backtest_job(ctx.ws, out=out, start_week=p.start_week, end_week=p.end_week,
                         tune_weeks=p.tune_weeks, cells=p.cells, cell_m=p.cell_m, year=p.year,
                         categories=p.categories)
    ctx.progress("backtest", 1.0)
    return {"table": json_rows(table), "csv": out.name}, None


def run_split(ctx: JobContext, p: SplitParams) -> tuple[dict[str, Any], dt.date | None]:
    _, result, exports = split_workspace(ctx.ws, brigade_units=p.brigade_units,
                                         risk_weighted=p.risk_weighted, export_dir=ctx.out_dir,
                                         progress=ctx.progress)
    return {"balance": to_jsonable(result["balance"]), "summary": json_rows(result["summary"]),
            "exports": _names(exports)}, None


def run_grid(ctx: JobContext, p: GridParams) -> tuple[dict[str, Any], dt.date | None]:
    _, result, export = grid_workspace(ctx.ws, count=p.count, target_area_m2=p.target_area_m2,
                                       export_dir=ctx.out_dir, progress=ctx.progress)
    return {**grid_summary(result, export), "export": Path(export).name}, None


def run_hotspots(ctx: JobContext, p: HotspotsParams) -> tuple[dict[str, Any], dt.date | None]:
    _, summary = hotspots_job(ctx.ws, out_dir=ctx.out_dir, start=p.start, end=p.end,
                              categories=p.categories, cell_m=p.cell_m, bandwidth_m=p.bandwidth_m,
                              progress=ctx.progress)
    out = to_jsonable(summary)
    out["files"] = _names(summary.get("files", {}))
    day = dt.date.fromisoformat(str(summary["to"])[:10]) if summary.get("to") else None
    return out, day


def run_forecast(ctx: JobContext, p: ForecastParams) -> tuple[dict[str, Any], dt.date | None]:
    ctx.progress("forecast", 0.0)
    out = ctx.out_dir / f"{ctx.stem}-forecast-{p.cells}.csv"
    new_ws, ranked, path = forecast_job(ctx.ws, out=out, as_of=p.as_of, horizon_days=p.horizon_days,
                                        method=p.method, cells=p.cells, cell_m=p.cell_m,
                                        categories=p.categories)
    ctx.progress("forecast", 1.0)
    summary = forecast_summary(new_ws, ranked, cells=p.cells, horizon_days=p.horizon_days, top=p.top)
    as_of = summary["as_of"]
    return {**summary, "csv": Path(path).name}, (dt.date.fromisoformat(as_of) if as_of else None)


def reports_available() -> bool:
    """Whether the report modules (``geo.reports``, ``app.report_render``) are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("geo.reports", "app.report_render"))


class CategoriesParams(_Params):
    """Add an incident category of the workspace's own, or remove one no incident has (``patrolnet categories``)."""

    action: Literal["add", "remove"] = "add"
    code: str = Field(..., max_length=64, description="Category code, e.g. shooting")
    zh: str = Field("", max_length=80, description="Chinese name (add)")
    en: str = Field("", max_length=80, description="English name (add)")
    group: Literal[tuple(GROUPS)] = Field("other", description="The method's group it counts in (add)")  # type: ignore[valid-type]


def run_categories(ctx: JobContext, p: CategoriesParams) -> tuple[dict[str, Any], dt.date | None]:
    if p.action == "add":
        _, added = add_category(ctx.ws, p.code, zh=p.zh, en=p.en, group=p.group)
        return {"action": "add", **added}, None
    remove_category(ctx.ws, p.code)
    return {"action": "remove", "code": p.code}, None


def run_report(ctx: JobContext, p: ReportParams) -> tuple[dict[str, Any], dt.date | None]:
    lang = p.lang or ctx.lang
    if p.half is not None:
        rep, files = make_half_year_report(ctx.ws, out=ctx.out_dir, half=p.half, controlled_share=p.controlled_share,
                                           lang=lang, progress=ctx.progress)
        return {**half_year_summary(rep, lang), "html": Path(files["html"]).name, "xlsx": Path(files["xlsx"]).name,
                "json": Path(files["json"]).name, "csv": _names(files.get("csv", {}))}, rep.as_of
    rep, files = make_report(ctx.ws, out=ctx.out_dir, month=p.month, week=p.week,
                             controlled_share=p.controlled_share, lang=lang, progress=ctx.progress)
    return {**report_summary(rep, lang), "html": Path(files["html"]).name, "xlsx": Path(files["xlsx"]).name,
            "json": Path(files["json"]).name, "csv": _names(files.get("csv", {}))}, rep.as_of


def cameras_available() -> bool:
    """Whether the camera core (``geo.cameras``) is installed."""
    return importlib.util.find_spec("geo.cameras") is not None


def run_camera_gaps(ctx: JobContext, p: CameraGapsParams) -> tuple[dict[str, Any], dt.date | None]:
    from geo.cameras import write_table  # an optional module: see cameras_available()

    lang = "zh-CN" if ctx.lang == "zh-CN" else "en"
    ctx.progress("gaps", 0.0)
    gaps, csv = camera_gaps_job(ctx.ws, out=ctx.out_dir / f"{ctx.stem}-camera-gaps.csv", lang=lang,
                                segment_m=p.segment_m, risk=p.risk, station_id=p.station_id)
    ctx.progress("write", 0.0)
    names = [Path(csv).name]  # the same list as XLSX and GeoJSON, with the core's writer
    # the workbook is most of the writing (20,000 rows: seconds): the bar moves with its rows
    names.append(write_table(gaps, ctx.out_dir / f"{ctx.stem}-camera-gaps.xlsx", lang=lang,
                             rows_done=lambda share: ctx.progress("write", 0.85 * share)).name)
    ctx.progress("write", 0.85)
    names.append(write_table(gaps, ctx.out_dir / f"{ctx.stem}-camera-gaps.geojson", lang=lang).name)
    ctx.progress("write", 1.0)
    return {**gaps_summary(ctx.ws, gaps, risk=p.risk, top=p.top, station_id=p.station_id), "csv": names[0],
            "xlsx": names[1], "geojson": names[2]}, None


def run_camera_site(ctx: JobContext, p: CameraSiteParams) -> tuple[dict[str, Any], dt.date | None]:
    from geo.cameras import write_table  # an optional module: see cameras_available()

    lang = "zh-CN" if ctx.lang == "zh-CN" else "en"
    ctx.progress("siting", 0.0)
    plan, csv = camera_siting_job(ctx.ws, out=ctx.out_dir / f"{ctx.stem}-new-cameras.csv", add=p.add,
                                  budget_per_station=p.budget_per_station, radius_m=p.radius_m, lang=lang,
                                  risk=p.risk)
    ctx.progress("write", 0.0)
    names = [Path(csv).name]
    for suffix in (".xlsx", ".geojson"):
        names.append(write_table(plan.sites, ctx.out_dir / f"{ctx.stem}-new-cameras{suffix}", lang=lang,
                                 sheet="sites").name)
    ctx.progress("write", 1.0)
    return {**siting_summary(plan, top=p.add), "csv": names[0], "xlsx": names[1], "geojson": names[2]}, None


def _rejected_rows(rejected: pd.DataFrame, lang: str, limit: int = 500) -> list[dict[str, Any]]:
    """The first ``limit`` rejected rows for the data page: their columns (the English ``reason``
    kept for scripts) and ``reason_text``, the reason in the page's language."""
    head = rejected.drop(columns=[c for c in REASON_HEADERS.values() if c in rejected]).head(limit)
    head = head.assign(reason_text=reasons_in(head, lang))
    return json_rows(head, limit)


def run_import(ctx: JobContext, p: ImportParams) -> tuple[dict[str, Any], dt.date | None]:
    source = ctx.out_dir / p.file_name
    lang = "zh-CN" if ctx.lang == "zh-CN" else "en"
    try:
        new_ws, result, report = import_file(
            ctx.ws, p.layer, source, column_map=p.column_map, coords=p.coords, timezone=p.timezone,
            strict=p.strict, replace=p.replace, tolerance_m=p.tolerance_m, category_map=p.category_map,
            encoding=p.encoding, sheet=p.sheet, set_values=p.set_values, progress=ctx.progress, lang=lang)
    except InputError as exc:
        # nothing imported; the per-row report (when written) still tells the user why
        report_path = ctx.out_dir / reject_report_name(source)
        if report_path.is_file():
            rejected = pd.read_csv(report_path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
            exc.job_result = {  # type: ignore[attr-defined]
                "layer": p.layer, "source": p.file_name, "accepted": 0,
                "rejected": int(rejected["row"].nunique()) if "row" in rejected else len(rejected),
                "report": report_path.name, "rejected_rows_table": _rejected_rows(rejected, lang),
                "rejected_rows_total": int(len(rejected))}
        raise
    summary = to_jsonable(result.summary())
    summary["source"] = p.file_name
    summary["layer_features"] = int(new_ws.count(p.layer))
    summary["report"] = Path(report).name if report else None
    summary["rejected_rows_table"] = _rejected_rows(result.rejected, lang)
    summary["rejected_rows_total"] = int(len(result.rejected))
    return summary, None


#: Parameter model of each kind submitted through ``POST /api/v1/jobs/{kind}``.
PARAMS: dict[str, type[_Params]] = {
    "routes": RoutesParams,
    "backtest": BacktestParams,
    "split": SplitParams,
    "grid": GridParams,
    "hotspots": HotspotsParams,
    "forecast": ForecastParams,
    "camera_gaps": CameraGapsParams,
    "camera_site": CameraSiteParams,
    "report": ReportParams,
    "categories": CategoriesParams,
}
#: Parameter model of every kind (the import's comes from its upload form).
_MODELS: dict[str, type[_Params]] = {**PARAMS, "import": ImportParams}

JOB_KINDS: dict[str, JobKind] = {
    # a job taken from the queue by another process gets its parameters validated again
    k.name: replace(k, load=_MODELS[k.name].model_validate)
    for k in (
        JobKind("routes", run_routes, False, (("road graph", 0.1), ("plan", 0.8), ("write", 0.1))),
        JobKind("backtest", run_backtest, False, (("backtest", 1.0),)),
        JobKind("split", run_split, True, (("split", 1.0),), ("edge_owners", "beats", "grid_team_areas")),
        JobKind("grid", run_grid, True, (("blocks", 0.2), ("split", 0.3), ("merge", 0.3), ("dissolve", 0.1),
                                          ("write workspace", 0.1)),
                ("subzones",)),
        JobKind("hotspots", run_hotspots, True,
                (("density", 0.3), ("Gi* sub-zones", 0.2), ("Gi* streets", 0.3), ("near repeats", 0.2)),
                ("hotspot_subzones", "hotspot_segments")),
        JobKind("forecast", run_forecast, True, (("forecast", 1.0),)),
        JobKind("report", run_report, False, (("report", 0.6), ("write", 0.4)), rename=False),
        JobKind("camera_gaps", run_camera_gaps, True, (("gaps", 0.7), ("write", 0.3)), ("camera_views", "camera_gaps")),
        JobKind("camera_site", run_camera_site, False, (("siting", 0.8), ("write", 0.2))),
        JobKind("categories", run_categories, True, (("categories", 1.0),)),
        JobKind("import", run_import, True,
                (("read", 0.2), ("check rows", 0.5), ("place incidents", 0.2), ("write workspace", 0.1))),
    )
}


# -- submitting ---------------------------------------------------------------------------------------
def _check_with_workspace(jobs: JobManager, p: _Params) -> None:
    """What only the workspace can tell, said at once (422) rather than by a failed job: categories
    that are neither the workspace's nor a group; a new category's code or names already taken."""
    cats = getattr(p, "categories", None)
    if cats:
        expand_categories(jobs.workspace(), cats)
    if isinstance(p, CategoriesParams) and p.action == "add":
        check_category(p.code, p.zh, p.en, p.group, workspace_categories(jobs.workspace()))


def submit_job(jobs: JobManager, kind: str, params: _Params | None, *, lang: str, owner: str = "",
               station_id: str | None = None) -> dict[str, Any]:
    """Queue a job of ``kind`` (``params`` default to the kind's defaults); the job's JSON.

    ``station_id`` (a station user's jurisdiction) is forced into the parameters: such a job plans
    or lists only that station's part, whatever was asked for (routes: the station's scope of
    :func:`app.services.params.route_kinds`; asking for the brigade's vehicles is forbidden).

    Raises
    ------
    ForbiddenError
        A station user asked for a district-wide kind, or for the brigade's vehicles (in ``lang``).
    """
    if params is None:
        try:
            params = PARAMS[kind]()
        except ValidationError as exc:  # a kind with required parameters, asked without any: 422
            raise RequestValidationError(exc.errors(include_url=False)) from None
    p = params
    _check_with_workspace(jobs, p)
    if station_id is not None:
        if "station_id" not in type(p).model_fields:
            raise ForbiddenError(say("web.station_job_kind", lang, kind=kind) or kind, code="web.station_job_kind",
                                 kind=kind)
        update: dict[str, Any] = {"station_id": station_id}
        if isinstance(p, RoutesParams):
            asked = p.kinds if "kinds" in p.model_fields_set else None
            try:
                update["kinds"] = list(route_kinds(asked, station_id))
            except InputError as exc:
                raise ForbiddenError(say_error(exc, lang), code=exc.code, **exc.fmt) from None
        p = p.model_copy(update=update)
    return jobs.submit(kind, p.model_dump(mode="json"), args=p, lang=lang, owner=owner,
                       station_id=station_id).as_dict()


def _pairs(text: str, field: str) -> dict[str, str]:
    """``SOURCE=TARGET`` lines of a form field (``#`` comments and blank lines skipped)."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.replace("\r", "").split("\n"), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        src, sep, dst = line.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise InputError(f"{field}, line {number}: write SOURCE=TARGET, e.g. 发案时间=occurred_at (got {line!r})",
                             code="web.mapping", field=field, line=number, value=line)
        out[src.strip()] = dst.strip()
    return out


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "on", "yes")


def _named(sentence: str, field: str | None) -> str:
    """A refusal of the import form that also names the form field (scripts post the same names)."""
    return sentence if not field or field in sentence else f"{sentence} ({field})"


def import_params(upload: Upload, lang: str = "zh-CN") -> ImportParams:
    """The import's parameters from the upload's form fields.

    Raises
    ------
    InputError
        On a bad layer, coordinate system or mapping line, said in ``lang`` (the form's labels).
    """
    f = upload.fields
    try:
        raw = {
            "layer": f.get("layer", ""),
            # a name that climbs out of its folder, or names a device, is refused (422), not rewritten
            "file_name": safe_filename(safe_name(upload.filename)),
            "coords": f.get("coords") or "wgs84",
            "column_map": _pairs(f.get("column_map", ""), "column_map"),
            "category_map": _pairs(f.get("category_map", ""), "category_map"),
            "timezone": f.get("timezone") or None,
            "strict": _flag(f.get("strict")),
            "replace": _flag(f.get("replace")),
            "encoding": f.get("encoding") or None,
            "sheet": f.get("sheet") or None,
            "set_values": _pairs(f.get("set_values", ""), "set_values"),
        }
    except InputError as exc:
        if exc.code != "web.mapping":
            raise
        raise InputError(_named(say_error(exc, lang), exc.fmt.get("field")), code=exc.code, **exc.fmt) from None
    if f.get("tolerance_m"):
        raw["tolerance_m"] = f["tolerance_m"]
    try:
        return ImportParams.model_validate(raw)
    except ValidationError as exc:
        said = [_named(say_invalid(e, lang), next((str(x) for x in e["loc"] if isinstance(x, str)), None))
                for e in exc.errors()]
        raise InputError(join(said, lang)) from None


def run_import_upload(jobs: JobManager, upload: Upload, *, lang: str, owner: str = "") -> tuple[dict[str, Any], int]:
    """Run the import of an upload as a job and wait for it; (job JSON, HTTP status)."""
    p = import_params(upload, lang)
    job = jobs.submit("import", p.model_dump(mode="json"), args=p, lang=lang, inputs={p.file_name: upload.data},
                      owner=owner)
    jobs.wait(job)
    return job.as_dict(), 200 if job.status == "done" else 422


def report_list(jobs: JobManager, *, lang: str, limit: int, offset: int) -> dict[str, Any]:
    """The finished report jobs, newest first, with their files.

    Raises
    ------
    FeatureUnavailableError
        When the report modules are not installed (HTTP 501).
    """
    if not reports_available():
        raise FeatureUnavailableError(t("rep.unavailable", lang))
    done = jobs.list(kind="report", status="done", limit=limit, offset=offset)
    rows = []
    for j in done:
        d = j.as_dict()
        rows.append({"job": d["href"], "month": d["result"].get("month"), "half": d["result"].get("half"),
                     "lang": d["result"]["lang"],
                     "as_of": d["result"]["as_of"], "created_at": d["created_at"],
                     "html": d["result"]["html"], "xlsx": d["result"]["xlsx"], "json": d["result"]["json"],
                     "files": d["files"]})
    return {"total": jobs.count(kind="report", status="done"), "limit": limit, "offset": offset, "reports": rows}
