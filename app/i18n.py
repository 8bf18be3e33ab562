"""Messages in zh-CN (the default) and English, for the web app and the CLI.

Framework-free: a dict of message keys -> {"zh-CN": ..., "en": ...}, :func:`t` to look one up
(with ``str.format`` fields) and :func:`normalize_lang` to turn whatever a user typed
(``zh``, ``zh_CN``, ``cn``, ``中文``, ``en-US``, ``English``, ...) into a supported code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping

from app.messages.categories import MESSAGES as _CATEGORIES
from app.messages.errors_analysis import MESSAGES as _ANALYSIS_ERRORS
from app.messages.errors_data import MESSAGES as _DATA_ERRORS
from app.messages.errors_planning import MESSAGES as _PLANNING_ERRORS
from app.messages.errors_tiles import MESSAGES as _TILE_ERRORS
from app.messages.field import MESSAGES as _FIELD
from app.messages.forecast import MESSAGES as _FORECAST
from app.messages.stages import MESSAGES as _STAGES
from app.messages.storage import MESSAGES as _STORAGE
from geo.schema import CAMERA_KINDS, CATEGORIES, NEIGHBORHOOD_KINDS, UNIT_KINDS

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "MESSAGES",
    "category_label",
    "error_key",
    "layer_label",
    "normalize_lang",
    "other_lang",
    "said",
    "said_reason",
    "stage_key",
    "stage_label",
    "t",
]

DEFAULT_LANG = "zh-CN"
LANGS = ("zh-CN", "en")

_M = dict[str, dict[str, str]]

MESSAGES: _M = {
    # -- app and page ---------------------------------------------------------------------------
    "app.title": {"zh-CN": "patrolnet 巡逻防控规划", "en": "patrolnet patrol planner"},
    "app.subtitle": {
        "zh-CN": "控发案“1234”工作法 · 离线巡逻网络规划",
        "en": "The \"1234\" crime-control method · offline patrol-network planning",
    },
    "page.overview": {"zh-CN": "总览", "en": "Overview"},
    "page.workspace": {"zh-CN": "工作区", "en": "Workspace"},
    "page.crs": {"zh-CN": "工作坐标系", "en": "Working CRS"},
    "page.timezone": {"zh-CN": "时区", "en": "Time zone"},
    "page.layers": {"zh-CN": "图层", "en": "Layers"},
    "page.layer": {"zh-CN": "图层", "en": "Layer"},
    "page.features": {"zh-CN": "要素数", "en": "Features"},
    "page.api_docs": {"zh-CN": "接口文档", "en": "API docs"},
    "page.lang_switch": {"zh-CN": "English", "en": "中文"},
    "page.menu": {"zh-CN": "菜单", "en": "Menu"},
    "search.kind.neighborhood": {"zh-CN": "小区", "en": "neighborhood"},
    "search.kind.station": {"zh-CN": "派出所", "en": "station"},
    "search.kind.community": {"zh-CN": "社区", "en": "community"},
    "search.kind.road": {"zh-CN": "道路", "en": "road"},
    "ui.search.placeholder": {"zh-CN": "搜索小区、道路、派出所…", "en": "Search neighborhoods, roads, stations…"},
    "ui.label.road": {"zh-CN": "道路", "en": "road"},
    "ui.label.neighborhood": {"zh-CN": "小区", "en": "neighborhood"},
    "ui.label.station": {"zh-CN": "派出所", "en": "police station"},
    "ui.search.none": {"zh-CN": "没有找到“{q}”", "en": "Nothing named “{q}”"},
    "page.lang_switch_title": {"zh-CN": "切换到英文", "en": "Switch to Chinese"},
    "page.incident_window": {
        "zh-CN": "警情统计区间：{start} 至 {end}",
        "en": "Incidents from {start} to {end}",
    },
    "page.no_incidents": {"zh-CN": "无警情数据", "en": "No incident data"},
    "page.offline_note": {
        "zh-CN": "所有地图资源均由本机提供，无需互联网。",
        "en": "Every map resource is served by this machine; no internet needed.",
    },
    "docs.title": {"zh-CN": "patrolnet 接口文档", "en": "patrolnet API docs"},
    # -- workspace layers -------------------------------------------------------------------------
    "layer.boundary": {"zh-CN": "辖区边界", "en": "District boundary"},
    "layer.stations": {"zh-CN": "派出所辖区", "en": "Police station jurisdictions"},
    "layer.communities": {"zh-CN": "社区", "en": "Communities"},
    "layer.neighborhoods": {"zh-CN": "小区", "en": "Neighborhoods"},
    "layer.subzones": {"zh-CN": "小片区", "en": "Sub-zones"},
    "layer.road_nodes": {"zh-CN": "路网节点", "en": "Road nodes"},
    "layer.road_edges": {"zh-CN": "道路路段", "en": "Road edges"},
    "layer.cameras": {"zh-CN": "探头", "en": "Cameras"},
    "layer.incidents": {"zh-CN": "警情", "en": "Incidents"},
    "layer.units": {"zh-CN": "巡逻力量", "en": "Patrol units"},
    "layer.tracks": {"zh-CN": "巡逻轨迹", "en": "Patrol tracks"},
    "layer.buildings": {"zh-CN": "建筑物", "en": "Buildings"},
    "layer.water": {"zh-CN": "水系", "en": "Water"},
    "layer.demo_truth": {"zh-CN": "演示真实强度", "en": "Demo true intensity"},
    "layer.edge_owners": {"zh-CN": "路段责任归属", "en": "Road edge owners"},
    "layer.beats": {"zh-CN": "特巡警巡区", "en": "Brigade beats"},
    "layer.grid_team_areas": {"zh-CN": "网格巡逻区", "en": "Grid-team areas"},
    "layer.split_summary": {"zh-CN": "责任划分汇总", "en": "Split summary"},
    "layer.hotspot_subzones": {"zh-CN": "Gi* 热点小片区", "en": "Gi* hot-spot sub-zones"},
    "layer.hotspot_segments": {"zh-CN": "Gi* 热点路段", "en": "Gi* hot-spot street segments"},
    "layer.forecast_subzones": {"zh-CN": "小片区风险预测", "en": "Sub-zone risk forecast"},
    "layer.forecast_segments": {"zh-CN": "路段风险预测", "en": "Street-segment risk forecast"},
    "layer.forecast_grid": {"zh-CN": "网格风险预测", "en": "Grid-cell risk forecast"},
    # -- map layers (layer control) and legend ----------------------------------------------------
    "map.boundary": {"zh-CN": "辖区边界", "en": "District boundary"},
    "map.stations": {"zh-CN": "派出所辖区", "en": "Station jurisdictions"},
    "map.station_sites": {"zh-CN": "派出所驻地", "en": "Police stations"},
    "map.neighborhoods": {"zh-CN": "小区", "en": "Neighborhoods"},
    "map.roads_main": {"zh-CN": "主干道（特巡警巡逻）", "en": "Main roads (patrol brigade)"},
    "map.roads_local": {"zh-CN": "街巷道路", "en": "Local streets"},
    "map.cameras": {"zh-CN": "探头", "en": "Cameras"},
    "map.incidents_heat": {"zh-CN": "警情热力（近12个月）", "en": "Incident heat (last 12 months)"},
    "map.incidents_points": {"zh-CN": "警情点位（近12个月）", "en": "Incidents (last 12 months)"},
    "map.tiles": {"zh-CN": "本地底图", "en": "Local base map"},
    "map.legend": {"zh-CN": "图例", "en": "Legend"},
    # -- feature fields (tooltips) ----------------------------------------------------------------
    "field.name": {"zh-CN": "名称", "en": "Name"},
    "field.station": {"zh-CN": "派出所", "en": "Station"},
    "field.road_class": {"zh-CN": "道路等级", "en": "Road class"},
    "field.kind": {"zh-CN": "类型", "en": "Kind"},
    "field.households": {"zh-CN": "户数", "en": "Households"},
    "field.model": {"zh-CN": "示范小区", "en": "Model neighborhood"},
    "field.category": {"zh-CN": "类别", "en": "Category"},
    "field.occurred_at": {"zh-CN": "发生时间", "en": "Occurred at"},
    "field.camera_id": {"zh-CN": "编号", "en": "ID"},
    "field.owner": {"zh-CN": "管理方", "en": "Owner"},
    "field.unnamed": {"zh-CN": "（无名道路）", "en": "(unnamed)"},
    # -- enumerations -----------------------------------------------------------------------------
    "camera.skynet_pole": {"zh-CN": "天网立杆", "en": "Skynet pole"},
    "camera.bullet": {"zh-CN": "枪机", "en": "Bullet camera"},
    "camera.dome": {"zh-CN": "球机", "en": "Dome camera"},
    "camera.speed": {"zh-CN": "测速", "en": "Speed camera"},
    "neighborhood.unit_compound": {"zh-CN": "单位小区", "en": "Unit compound"},
    "neighborhood.enclosed": {"zh-CN": "封闭小区", "en": "Enclosed"},
    "neighborhood.open": {"zh-CN": "开放式小区", "en": "Open (unfenced)"},
    "unit.brigade_vehicle": {"zh-CN": "特巡警车辆", "en": "Patrol brigade vehicle"},
    "unit.station_team": {"zh-CN": "派出所巡逻组", "en": "Station patrol team"},
    "unit.grid_team": {"zh-CN": "网格巡逻组（1+2+N）", "en": "Grid patrol team (1+2+N)"},
    "unit.volunteer_team": {"zh-CN": "志愿巡逻队", "en": "Volunteer patrol team"},
    "unit.skynet_guard": {"zh-CN": "天网巡防员", "en": "Skynet guard"},
    "road.main": {"zh-CN": "主干道", "en": "Main road"},
    "road.local": {"zh-CN": "街巷", "en": "Local street"},
    # -- errors -----------------------------------------------------------------------------------
    "error.layer_forbidden": {
        "zh-CN": "无权限：图层“{name}”不向本角色开放（分析员不能查看或导出探头盲区清单）",
        "en": "not allowed: layer '{name}' is not open to this role (analysts do not see or export camera gap lists)",
    },
    "error.layer_not_found": {
        "zh-CN": "图层“{name}”不存在；可用图层：{available}",
        "en": "layer '{name}' does not exist; available layers: {available}",
    },
    "error.bad_bbox": {
        "zh-CN": "bbox 参数无效：{value}；应为 WGS84 经纬度“最小经度,最小纬度,最大经度,最大纬度”",
        "en": "bad bbox {value}; give WGS84 'min_lon,min_lat,max_lon,max_lat'",
    },
    "error.assets_missing": {
        "zh-CN": "地图资源未安装：请运行 `make assets`（在 assets/ 中执行 npm ci）",
        "en": "map assets are not installed: run `make assets` (npm ci in assets/)",
    },
}


def normalize_lang(value: str | None, default: str = DEFAULT_LANG) -> str:
    """Map a user's language choice to ``"zh-CN"`` or ``"en"``; unknown or empty -> ``default``.

    >>> normalize_lang("zh_cn"), normalize_lang("EN-us"), normalize_lang(None)
    ('zh-CN', 'en', 'zh-CN')
    """
    if not value:
        return default
    v = value.strip().lower().replace("_", "-")
    if v in {"中文", "简体中文", "cn", "chinese"} or v == "zh" or v.startswith("zh-"):
        return "zh-CN"
    if v in {"english", "英文", "英语"} or v == "en" or v.startswith("en-"):
        return "en"
    return default


def other_lang(lang: str) -> str:
    """The language the page's toggle switches to."""
    return "en" if normalize_lang(lang) == "zh-CN" else "zh-CN"


def t(key: str, lang: str = DEFAULT_LANG, /, **fmt: object) -> str:
    """The message ``key`` in ``lang`` (zh-CN when the language lacks it), formatted with ``fmt``.

    Raises
    ------
    KeyError
        For an unknown key (a programming error, caught by the tests).
    """
    entry = MESSAGES[key]
    text = entry.get(normalize_lang(lang)) or entry[DEFAULT_LANG]
    return text.format(**fmt) if fmt else text


def error_key(exc: BaseException) -> str | None:
    """The message key ``error.<code>`` of an error the core tagged with ``code`` (see
    :class:`geo.errors.PlannerError`), or ``None`` when it has none or the catalogue lacks it."""
    code = getattr(exc, "code", None)
    key = f"error.{code}"
    return key if code and key in MESSAGES else None


def said(exc: BaseException, lang: str = DEFAULT_LANG) -> str:
    """An error as the user reads it in ``lang``: its keyed message formatted with its values
    (``exc.fmt``), else its own (English) text."""
    key = error_key(exc)
    if key is None:
        return str(exc)
    entry = MESSAGES[key]
    try:  # formatted even without values, so that a missing one falls back to the English text
        return (entry.get(normalize_lang(lang)) or entry[DEFAULT_LANG]).format(**(getattr(exc, "fmt", None) or {}))
    except (KeyError, IndexError, ValueError):
        return str(exc)


def said_reason(code: object, values: object, english: object, lang: str = DEFAULT_LANG) -> str:
    """A rejected row's reason (:func:`geo.tables.prepare_rows`, :func:`geo.repair.repair_geometries`)
    as the user reads it in ``lang``: ``error.<code>`` formatted with ``values`` (a mapping, or its JSON
    text), else the English text ``english`` (no key, an unknown key, or a value missing)."""
    fallback = "" if english is None or (isinstance(english, float) and math.isnan(english)) else str(english)
    key = f"error.{code}" if isinstance(code, str) and code else None
    if key is None or key not in MESSAGES:
        return fallback
    if isinstance(values, str):
        try:
            values = json.loads(values) if values.strip() else {}
        except ValueError:
            return fallback
    if values is None or (isinstance(values, float) and math.isnan(values)):
        values = {}
    if not isinstance(values, dict):
        return fallback
    entry = MESSAGES[key]
    try:
        return (entry.get(normalize_lang(lang)) or entry[DEFAULT_LANG]).format(**values)
    except (KeyError, IndexError, ValueError):
        return fallback


def stage_key(stage: str) -> str:
    """The message key of a progress stage (``"Gi* sub-zones"`` -> ``stage.gi_sub_zones``)."""
    return "stage." + re.sub(r"[^a-z0-9]+", "_", stage.lower()).strip("_")


def stage_label(stage: str, lang: str = DEFAULT_LANG) -> str:
    """A progress stage (the English word the core reports) in ``lang``; the word itself if unknown."""
    key = stage_key(stage)
    return t(key, lang) if key in MESSAGES else stage


def category_label(code: str, lang: str = DEFAULT_LANG, table: Mapping[str, tuple[str, str, str]] | None = None) -> str:
    """Incident category label from ``table`` (a workspace's, :func:`app.services.categories.workspace_categories`;
    default :data:`geo.schema.CATEGORIES`), the code itself if unknown."""
    entry = (table if table is not None else CATEGORIES).get(code)
    if entry is None:
        return code
    return entry[0] if normalize_lang(lang) == "zh-CN" else entry[1]


def layer_label(name: str, lang: str = DEFAULT_LANG) -> str:
    """Label of a workspace layer (the name itself for custom layers)."""
    key = f"layer.{name}"
    return t(key, lang) if key in MESSAGES else name


def _check_complete() -> None:
    for kinds, prefix in ((CAMERA_KINDS, "camera"), (NEIGHBORHOOD_KINDS, "neighborhood"),
                          (UNIT_KINDS, "unit")):
        for k in kinds:
            assert f"{prefix}.{k}" in MESSAGES, f"i18n: missing {prefix}.{k}"


_check_complete()

# -- errors the core raises with a message key, and the stages of long work (app/messages) -----------
for _part in (_ANALYSIS_ERRORS, _DATA_ERRORS, _PLANNING_ERRORS, _TILE_ERRORS, _STAGES, _FORECAST, _FIELD, _CATEGORIES):
    assert not set(_part) & set(MESSAGES), f"i18n: keys defined twice: {sorted(set(_part) & set(MESSAGES))}"
    MESSAGES.update(_part)
assert not set(_STORAGE) & set(MESSAGES), f"i18n: keys defined twice: {sorted(set(_STORAGE) & set(MESSAGES))}"
MESSAGES.update(_STORAGE)  # the PostgreSQL backend and the workspace copy (app/messages/storage.py)


# -- command line -----------------------------------------------------------------------------------
MESSAGES.update(
    {
        "cli.demo.reuse": {"zh-CN": "使用已有演示工作区 {path}", "en": "Reusing the demo workspace {path}"},
        "cli.demo.build": {
            "zh-CN": "正在生成演示辖区（种子 {seed}）→ {path}",
            "en": "Building the demo district (seed {seed}) -> {path}",
        },
        "cli.serve.url": {
            "zh-CN": "patrolnet 已启动：{url}  （按 Ctrl+C 停止）",
            "en": "patrolnet is running at {url}  (Ctrl+C stops it)",
        },
        "cli.serve.warming": {
            "zh-CN": "正在预先生成各辖区的首页、地图图层和统计，完成后开始接受访问（演示辖区约数秒，大辖区可能需要约一分钟）……",
            "en": "Making every area's dashboard, map layers and figures before taking requests (seconds for the demo, "
                  "up to about a minute for a large district)...",
        },
        "cli.worker.ready": {
            "zh-CN": "任务进程 {worker} 正在处理工作区 {path} 的任务队列（同时 {jobs} 个；按 Ctrl+C 停止）",
            "en": "worker {worker} is taking jobs of workspace {path} ({jobs} at once; Ctrl+C stops it)",
        },
        "cli.worker.stopped": {
            "zh-CN": "任务进程已停止；未完成的任务已放回队列",
            "en": "worker stopped; unfinished jobs went back to the queue",
        },
        "cli.info.title": {"zh-CN": "工作区 {path}", "en": "Workspace {path}"},
        "cli.info.layer": {"zh-CN": "图层", "en": "Layer"},
        "cli.info.geometry": {"zh-CN": "几何类型", "en": "Geometry"},
        "cli.info.features": {"zh-CN": "要素数", "en": "Features"},
        "cli.info.crs": {"zh-CN": "工作坐标系", "en": "Working CRS"},
        "cli.info.extent": {"zh-CN": "范围（WGS84 西,南,东,北）", "en": "Extent (WGS84 W,S,E,N)"},
        "cli.import.done": {
            "zh-CN": "已导入 {accepted:,} / {rows:,} 行到图层 {layer}（现有 {total:,} 条）",
            "en": "Imported {accepted:,} of {rows:,} rows into layer {layer} ({total:,} features now)",
        },
        "cli.import.rejected": {
            "zh-CN": "拒收 {rejected:,} 行，逐行原因见 {path}：",
            "en": "Rejected {rejected:,} rows; the reason for each is in {path}:",
        },
        "cli.grid.done": {
            "zh-CN": "已划分 {n:,} 个小片区（街区 {blocks:,} 个，目标面积 {area:,.0f} 平方米），导出 {export}",
            "en": "Cut {n:,} sub-zones ({blocks:,} street blocks, target area {area:,.0f} m2); exported {export}",
        },
        "cli.units.suggested": {
            "zh-CN": "已按路网建议巡逻力量：特巡警巡逻车 {cars} 辆，1+2+N 网格巡逻队 {teams} 支，写入 {path}",
            "en": "Suggested patrol units from the roads: {cars} brigade cars, {teams} \"1+2+N\" grid teams, "
                  "written to {path}",
        },
        "cli.units.next": {
            "zh-CN": "请核对并修改表中的名称、所属派出所、警力配置和位置，然后导入：patrolnet import {ws} units {path}",
            "en": "Check and edit names, stations, line-ups and places in the table, then import it: "
                  "patrolnet import {ws} units {path}",
        },
        "cli.split.title": {"zh-CN": "巡逻责任划分（特巡警主干道 / 派出所小区）",
                            "en": "Coverage split (brigade main roads / station neighborhoods)"},
        "cli.split.balance": {"zh-CN": "特巡警巡区均衡度：最大/平均 = {ratio:.3f}",
                              "en": "Brigade beat balance: largest / mean = {ratio:.3f}"},
        "cli.hotspots.done": {"zh-CN": "热点分析：{n:,} 起警情（{start} 至 {end}）",
                              "en": "Hotspots of {n:,} incidents ({start} to {end})"},
        "cli.forecast.done": {"zh-CN": "风险预测：{n:,} 个单元已排序，写入 {path}",
                              "en": "Forecast: {n:,} places ranked, written to {path}"},
        "cli.backtest.title": {"zh-CN": "滚动回测（第 {start}-{end} 周）：命中率 / PAI / PEI",
                               "en": "Rolling backtest (weeks {start}-{end}): hit rate / PAI / PEI"},
        "cli.routes.title": {"zh-CN": "巡逻路线：{n} 个单位，班次 {shift}", "en": "Patrol routes: {n} units, shift {shift}"},
        "cli.cameras.gaps": {"zh-CN": "探头盲区：{n:,} 处，已写入 {path}", "en": "Camera gaps: {n:,}, written to {path}"},
        "cli.cameras.site": {"zh-CN": "新增探头选址：{n:,} 处，已写入 {path}", "en": "New camera sites: {n:,}, written to {path}"},
        "cli.backtest.better": {"zh-CN": "优于计数", "en": "beats counting"},
        "cli.backtest.tie": {"zh-CN": "不优于计数", "en": "no better than counting"},
        "cli.backtest.worse": {"zh-CN": "劣于计数", "en": "worse than counting"},
        "cli.report.half_done": {"zh-CN": "{half}派出所治安情况报告（半年排名）", "en": "Half-year station report {half}"},
        "cli.report.done": {"zh-CN": "{month} 月度报告（控发案“1234”工作法）", "en": "Monthly report {month} (the \"1234\" method)"},
        "cli.backup.done": {"zh-CN": "已备份：{path}", "en": "Backed up: {path}"},
        "cli.backups.title": {"zh-CN": "{path} 的备份", "en": "Backups of {path}"},
        "cli.restore.done": {"zh-CN": "已恢复 {path}（恢复前的状态另存为 {saved}）",
                             "en": "Restored {path} (its state before the restore is kept as {saved})"},
        "cli.audit.title": {"zh-CN": "{path} 的操作记录（只增不改）", "en": "Audit log of {path} (append-only)"},
        "cli.plans.title": {"zh-CN": "{path} 的成果记录（最新在前）", "en": "Records of {path} (newest first)"},
        "cli.plans.changed": {"zh-CN": "方案 {id} 现为：{status}", "en": "Plan {id} is now {status}"},
        "cli.plans.recorded": {"zh-CN": "已记录为方案 {id}（草稿）", "en": "Recorded as plan {id} (draft)"},
        "cli.records.recorded": {"zh-CN": "已记录为成果 {id}（patrolnet plans show 工作区 {id} 查看）",
                                 "en": "Recorded as {id} (patrolnet plans show WORKSPACE {id})"},
        "cli.plans.changes": {
            "zh-CN": "与上一方案 {previous} 相比：新增 {added} 个单位，减少 {removed} 个，路线变化 {changed} 个，未变 {same} 个",
            "en": "Against the previous plan {previous}: {added} unit(s) added, {removed} removed, {changed} with a "
                  "changed route, {same} the same",
        },
        "cli.init.done": {
            "zh-CN": "已创建工作区 {path}（坐标系 {crs}）",
            "en": "Created workspace {path} (CRS {crs})",
        },
    }
)


# -- web pages (nav, dashboard, hotspots, coverage, routes, cameras, reports, data) ---------------------
# Keys starting with "ui." are also handed to the pages' scripts.
MESSAGES.update(
    {
        "nav.dashboard": {"zh-CN": "总览", "en": "Dashboard"},
        "nav.hotspots": {"zh-CN": "热点分析", "en": "Hotspots"},
        "nav.coverage": {"zh-CN": "责任区", "en": "Coverage"},
        "nav.routes": {"zh-CN": "巡逻路线", "en": "Route planner"},
        "nav.cameras": {"zh-CN": "探头盲区", "en": "Camera gaps"},
        "nav.reports": {"zh-CN": "报表", "en": "Reports"},
        "nav.data": {"zh-CN": "数据导入", "en": "Data"},
        "nav.api": {"zh-CN": "接口文档", "en": "API docs"},
        # dashboard
        "dash.headline": {"zh-CN": "{month} 同比（“1234”工作法三项指标）",
                          "en": "Year over year, {month} (the method's three figures)"},
        "dash.ytd": {"zh-CN": "1–{m}月累计", "en": "Jan–{m} YTD"},
        "dash.last_year": {"zh-CN": "去年同期 {n}", "en": "a year before: {n}"},
        "dash.station_report": {"zh-CN": "本所月报（上月）", "en": "Our station's monthly report (last month)"},
        "dash.no_baseline": {"zh-CN": "无去年同期数据", "en": "no data a year before"},
        "dash.status.new": {"zh-CN": "新增", "en": "new"},
        "dash.status.both_zero": {"zh-CN": "均为零", "en": "both zero"},
        "dash.status.flat": {"zh-CN": "持平", "en": "flat"},
        "dash.chart": {"zh-CN": "刑事案件月度走势（实线：近12个月；虚线：去年同期）",
                       "en": "Criminal cases per month (solid: last 12 months; dashed: a year before)"},
        "dash.ranking": {"zh-CN": "{month} 派出所排名（{measure}，少者居前）",
                         "en": "Station ranking, {month} ({measure}, fewest first)"},
        "dash.models": {"zh-CN": "示范小区", "en": "Model neighborhoods"},
        "dash.models_summary": {
            "zh-CN": "共 {n} 个：零发案 {zero}，受控 {controlled}，未达标 {not_met}，数据不足 {unknown}",
            "en": "{n} designated: zero {zero}, controlled {controlled}, not met {not_met}, unknown {unknown}",
        },
        "dash.offices_without": {"zh-CN": "尚无示范小区的社区警务室：{n} 个",
                                 "en": "Community police offices without a model neighborhood: {n}"},
        "dash.models_rule": {
            "zh-CN": "零发案：近12个月无两抢一盗；受控：比前12个月下降至少一半。",
            "en": "Zero: no robbery or theft in the last 12 months; controlled: at least half fewer than the 12 months before.",
        },
        "dash.no_figures": {"zh-CN": "暂无法统计月度数据：", "en": "The monthly figures cannot be counted yet:"},
        "dash.source": {"zh-CN": "统计口径见接口 /api/v1/stats", "en": "Definitions: /api/v1/stats"},
        "model.zero": {"zh-CN": "零发案", "en": "zero"},
        "model.controlled": {"zh-CN": "受控", "en": "controlled"},
        "model.not_met": {"zh-CN": "未达标", "en": "not met"},
        "model.unknown": {"zh-CN": "数据不足", "en": "unknown"},
        "col.rank": {"zh-CN": "名次", "en": "Rank"},
        "col.station": {"zh-CN": "派出所", "en": "Station"},
        "col.cases": {"zh-CN": "刑事", "en": "Criminal"},
        "col.trot": {"zh-CN": "两抢一盗", "en": "Rob./theft"},
        "col.rate": {"zh-CN": "每万人", "en": "Per 10k"},
        "col.yoy": {"zh-CN": "同比", "en": "YoY"},
        "col.name": {"zh-CN": "名称", "en": "Name"},
        "col.status": {"zh-CN": "状态", "en": "Status"},
        # jobs, shared by the pages' scripts
        "ui.job.queued": {"zh-CN": "排队中…", "en": "Queued…"},
        "ui.job.running": {"zh-CN": "运行中", "en": "Running"},
        "ui.job.done": {"zh-CN": "完成", "en": "Done"},
        "ui.job.failed": {"zh-CN": "失败", "en": "Failed"},
        "ui.job.elapsed": {"zh-CN": "用时 {s} 秒", "en": "{s} s"},
        "ui.loading": {"zh-CN": "加载中…", "en": "Loading…"},
        "ui.none": {"zh-CN": "无", "en": "none"},
        "ui.legend": {"zh-CN": "图例", "en": "Legend"},
        "ui.download": {"zh-CN": "下载", "en": "Download"},
        # hotspots
        "hot.title": {"zh-CN": "热点分析", "en": "Hotspot analysis"},
        "hot.intro": {"zh-CN": "警情密度、Gi* 热点小片区和下期风险预测；改变区间或类别后重新分析。",
                      "en": "Incident density, Gi* hot-spot sub-zones and next-period risk; change the period or category and re-run."},
        "hot.from": {"zh-CN": "起始日期", "en": "From"},
        "hot.to": {"zh-CN": "截止日期", "en": "To"},
        "hot.category": {"zh-CN": "警情类别", "en": "Category"},
        "hot.all": {"zh-CN": "全部类别", "en": "All categories"},
        "hot.run": {"zh-CN": "重新分析", "en": "Re-run analysis"},
        "hot.run_forecast": {"zh-CN": "更新风险预测", "en": "Update the forecast"},
        "ui.hot.heat": {"zh-CN": "警情密度热力", "en": "Incident density (heat)"},
        "ui.hot.gi": {"zh-CN": "Gi* 热点小片区", "en": "Gi* sub-zone hot spots"},
        "ui.hot.forecast": {"zh-CN": "预测风险（下期）", "en": "Forecast risk (next period)"},
        "ui.hot.hot": {"zh-CN": "热点（显著）", "en": "Hot spot (significant)"},
        "ui.hot.cold": {"zh-CN": "冷点（显著）", "en": "Cold spot (significant)"},
        "ui.hot.ns": {"zh-CN": "不显著", "en": "Not significant"},
        "ui.hot.risk_top": {"zh-CN": "风险前 5%", "en": "Top 5 % risk"},
        "ui.hot.risk_mid": {"zh-CN": "风险前 20%", "en": "Top 20 % risk"},
        "ui.hot.no_gi": {"zh-CN": "尚无 Gi* 结果：正在按当前条件计算…", "en": "No Gi* result yet: computing it now…"},
        "ui.hot.summary": {"zh-CN": "Gi*：{cat} {n} 起警情（{from} 至 {to}）：热点小片区 {hot} 个，冷点 {cold} 个",
                           "en": "Gi*: {cat}, {n} incidents ({from} to {to}): {hot} hot and {cold} cold sub-zones"},
        "ui.hot.points": {"zh-CN": "热力图：{cat} {n} 起警情（{from} 至 {to}）", "en": "Heat map: {cat}, {n} incidents ({from} to {to})"},
        "ui.hot.forecast_info": {"zh-CN": "预测截至 {as_of}，未来 {h} 天", "en": "Forecast as of {as_of}, next {h} days"},
        "ui.hot.no_forecast": {"zh-CN": "尚无风险预测", "en": "No forecast yet"},
        "hot.no_subzones": {"zh-CN": "工作区还没有小片区：请先点击“划分小片区”。",
                            "en": "The workspace has no sub-zones yet: cut them first with \"Cut sub-zones\"."},
        "hot.run_grid": {"zh-CN": "划分小片区", "en": "Cut sub-zones"},
        "hot.click": {"zh-CN": "点击小片区查看其数据。", "en": "Click a sub-zone for its figures."},
        "ui.field.subzone": {"zh-CN": "小片区", "en": "Sub-zone"},
        "ui.field.station": {"zh-CN": "派出所", "en": "Station"},
        "ui.field.community": {"zh-CN": "社区", "en": "Community"},
        "ui.field.unnamed": {"zh-CN": "（无名道路）", "en": "(unnamed)"},
        "ui.field.count": {"zh-CN": "警情数", "en": "Incidents"},
        "ui.field.per_km2": {"zh-CN": "每平方公里", "en": "Per km²"},
        "ui.field.gi_z": {"zh-CN": "Gi* z 值", "en": "Gi* z"},
        "ui.field.p": {"zh-CN": "p 值", "en": "p"},
        "ui.field.q": {"zh-CN": "FDR q 值", "en": "FDR q"},
        "ui.field.class": {"zh-CN": "判定", "en": "Class"},
        "ui.field.rank": {"zh-CN": "风险排名", "en": "Risk rank"},
        "ui.field.expected": {"zh-CN": "预计警情", "en": "Expected incidents"},
        "ui.field.households": {"zh-CN": "户数", "en": "Households"},
        "ui.field.area_m2": {"zh-CN": "面积（平方米）", "en": "Area (m²)"},
        # coverage
        "cov.title": {"zh-CN": "巡逻责任区", "en": "Patrol coverage"},
        "cov.intro": {"zh-CN": "主干道归特巡警大队（分巡区），小区归派出所，网格巡逻组（1+2+N）负责小区片。",
                      "en": "Main roads go to the patrol brigade (in beats), neighborhoods to the stations, grid teams (1+2+N) to neighborhood areas."},
        "cov.no_split": {"zh-CN": "尚未划分责任区：点击“立即划分”。", "en": "Coverage has not been split yet: use \"Split now\"."},
        "cov.run_split": {"zh-CN": "立即划分", "en": "Split now"},
        "cov.summary": {"zh-CN": "责任划分汇总", "en": "Split summary"},
        "cov.owner": {"zh-CN": "责任单位", "en": "Owner"},
        "cov.main_km": {"zh-CN": "主干道 km", "en": "Main km"},
        "cov.local_km": {"zh-CN": "街巷 km", "en": "Local km"},
        "cov.neighborhoods": {"zh-CN": "小区", "en": "Hoods"},
        "cov.grid_teams": {"zh-CN": "网格组", "en": "Teams"},
        "cov.balance": {"zh-CN": "巡区均衡度（最大/平均）：{r}", "en": "Beat balance (largest / mean): {r}"},
        "ui.cov.stations": {"zh-CN": "派出所辖区", "en": "Station areas"},
        "ui.cov.beats": {"zh-CN": "特巡警巡区（主干道）", "en": "Brigade beats (main roads)"},
        "ui.cov.local": {"zh-CN": "派出所街巷", "en": "Station streets"},
        "ui.cov.grid_areas": {"zh-CN": "网格巡逻区（1+2+N）", "en": "Grid-team areas (1+2+N)"},
        "ui.cov.cameras": {"zh-CN": "探头", "en": "Cameras"},
        "ui.cam.site_title": {"zh-CN": "新增探头选址", "en": "Where to add cameras"},
        "cam.site_title": {"zh-CN": "新增探头选址", "en": "Where to add cameras"},
        "cam.site_intro": {"zh-CN": "在保留现有探头的前提下，选出覆盖风险最多的 K 个新点位（最大覆盖模型）。",
                           "en": "Keeping the existing cameras, the K new sites that cover the most risk (maximal covering)."},
        "cam.site_add": {"zh-CN": "新增数量", "en": "New cameras"},
        "cam.site_run": {"zh-CN": "计算选址", "en": "Find sites"},
        "ui.cam.site_summary": {"zh-CN": "{n} 个新点位覆盖盲区风险的 {share}%（{method}，{status}）",
                                "en": "{n} new sites cover {share}% of the gap risk ({method}, {status})"},
        "ui.cam.site_gain": {"zh-CN": "新增覆盖", "en": "Gain"},
        "ui.cam.site_cum": {"zh-CN": "累计覆盖", "en": "Cumulative"},
        "ui.cov.views": {"zh-CN": "探头视域", "en": "Camera views"},
        "ui.cov.gaps": {"zh-CN": "探头盲区（风险最高 2,000 处）", "en": "Camera gaps (2,000 riskiest)"},
        "ui.cov.neighborhoods": {"zh-CN": "小区", "en": "Neighborhoods"},
        "ui.cov.beat": {"zh-CN": "巡区", "en": "Beat"},
        "ui.cov.length_km": {"zh-CN": "长度 km", "en": "Length km"},
        "ui.cov.team": {"zh-CN": "网格组", "en": "Team"},
        # routes
        "routes.title": {"zh-CN": "巡逻路线规划", "en": "Route planner"},
        "routes.intro": {"zh-CN": "选择日期、班次和巡逻力量，生成每个单位的路线、停留点和时间。",
                         "en": "Pick the day, shift and unit kinds; every unit gets a route with stops and times."},
        "routes.date": {"zh-CN": "日期", "en": "Date"},
        "routes.shift": {"zh-CN": "班次", "en": "Shift"},
        "routes.kinds": {"zh-CN": "巡逻力量", "en": "Unit kinds"},
        "routes.team_minutes": {"zh-CN": "网格组巡逻时长（分钟）", "en": "Grid-team loop (minutes)"},
        "routes.plan": {"zh-CN": "生成路线", "en": "Plan routes"},
        "routes.no_units": {"zh-CN": "工作区没有巡逻力量（units 图层）；请先导入。",
                            "en": "The workspace has no patrol units (units layer); import them first."},
        "ui.routes.units": {"zh-CN": "单位", "en": "Unit"},
        "ui.routes.kind": {"zh-CN": "类型", "en": "Kind"},
        "ui.routes.length": {"zh-CN": "里程 km", "en": "km"},
        "ui.routes.duration": {"zh-CN": "分钟", "en": "min"},
        "ui.routes.stops": {"zh-CN": "停留", "en": "Stops"},
        "ui.routes.stop": {"zh-CN": "停留点", "en": "Stop"},
        "ui.routes.arrive": {"zh-CN": "到达", "en": "Arrive"},
        "ui.routes.depart": {"zh-CN": "离开", "en": "Leave"},
        "ui.routes.summary": {"zh-CN": "{date} {shift}：{n} 个单位", "en": "{date} {shift}: {n} units"},
        "ui.routes.gpx": {"zh-CN": "GPX（导航仪）", "en": "GPX"},
        "ui.routes.geojson": {"zh-CN": "GeoJSON", "en": "GeoJSON"},
        "ui.routes.kml": {"zh-CN": "KML（奥维/谷歌地球）", "en": "KML"},
        "ui.routes.sheets": {"zh-CN": "打印任务单", "en": "Printable sheets"},
        "ui.routes.csv": {"zh-CN": "巡逻剂量表 CSV", "en": "Dosage CSV"},
        "ui.routes.plans": {"zh-CN": "本班次方案", "en": "Plans of this shift"},
        "ui.routes.timetable": {"zh-CN": "{name} 时间表", "en": "{name}: timetable"},
        "ui.routes.all_units": {"zh-CN": "显示全部单位", "en": "All units"},
        "ui.routes.unit_files": {"zh-CN": "本单位文件：", "en": "This unit's files: "},
        "ui.routes.dosage": {"zh-CN": "巡逻落实情况", "en": "Patrol done"},
        "ui.routes.dosage_run": {"zh-CN": "对比计划与轨迹", "en": "Compare plan and tracks"},
        "ui.routes.dosage_intro": {"zh-CN": "各单位手机或车载终端上传的轨迹（tracks 图层）与本班次方案对比：热点停留分钟、路线与巡区主干道走过的比例。",
                                   "en": "The tracks from the units' phones and car terminals (tracks layer) against this shift's plan: minutes at each hotspot, share of each route and beat's main roads driven or walked."},
        "ui.routes.dosage_hotspots": {"zh-CN": "热点停留", "en": "Hotspots"},
        "ui.routes.dosage_units": {"zh-CN": "路线与巡区", "en": "Routes and beats"},
        "ui.routes.worth_sources": {"zh-CN": "估算依据", "en": "What the estimate rests on"},
        "ui.routes.links": {"zh-CN": "手机巡逻链接与二维码", "en": "Phone links and QR codes"},
        "ui.routes.links_make": {"zh-CN": "为本班次各单位生成二维码", "en": "QR codes for this shift's units"},
        "ui.routes.links_intro": {"zh-CN": "民警用手机扫码即可查看本单位本班次的方案并上传轨迹，无需账号；班次结束 2 小时后失效，可随时撤销。二维码只显示这一次，请当场打印或发给各单位。",
                                  "en": "An officer scans the code to carry the unit's plan of this shift on the phone and send its track, without an account; it stops working 2 hours after the shift ends and can be revoked at any time. The codes are shown this once: print them or send them now."},
        "ui.routes.links_print": {"zh-CN": "打印二维码", "en": "Print the QR codes"},
        "ui.routes.links_list": {"zh-CN": "已生成的链接", "en": "Links made"},
        "ui.routes.links_revoke": {"zh-CN": "撤销", "en": "Revoke"},
        "ui.routes.links_state": {"zh-CN": "状态", "en": "State"},
        "ui.routes.links_unit": {"zh-CN": "单位", "en": "Unit"},
        "ui.routes.links_made": {"zh-CN": "生成时间", "en": "Made"},
        "ui.routes.links_opened": {"zh-CN": "首次打开", "en": "First opened"},
        "ui.routes.links_until": {"zh-CN": "有效至", "en": "Valid until"},
        "ui.routes.links_live": {"zh-CN": "有效", "en": "Live"},
        "ui.routes.links_dead": {"zh-CN": "已撤销", "en": "Revoked"},
        "ui.routes.links_expired": {"zh-CN": "已过期", "en": "Expired"},
        "ui.routes.links_card": {"zh-CN": "{day} {shift} · 扫码查看本单位巡逻方案 · 有效至 {until}",
                                 "en": "{day} {shift} · scan for the unit's patrol plan · valid until {until}"},
        "ui.routes.plans_none": {"zh-CN": "{date} {shift} 还没有方案。", "en": "No plan for {date} {shift} yet."},
        "ui.routes.plan_author": {"zh-CN": "制定人", "en": "Author"},
        "ui.routes.plan_station": {"zh-CN": "范围", "en": "Scope"},
        "ui.routes.plan_district": {"zh-CN": "全局", "en": "District"},
        "ui.routes.plan_status": {"zh-CN": "状态", "en": "Status"},
        "ui.routes.plan_created": {"zh-CN": "生成时间", "en": "Created"},
        "ui.routes.plan_units": {"zh-CN": "单位数", "en": "Units"},
        "ui.routes.plan_changes": {"zh-CN": "较上一方案：新增 {added}，减少 {removed}，变化 {changed}",
                                   "en": "vs previous: +{added} −{removed}, {changed} changed"},
        "ui.routes.plan_files": {"zh-CN": "文件", "en": "Files"},
        "ui.routes.plan_show": {"zh-CN": "查看", "en": "Show"},
        "ui.routes.plan_submit": {"zh-CN": "提交", "en": "Submit"},
        "ui.routes.plan_approve": {"zh-CN": "批准", "en": "Approve"},
        "ui.routes.plan_refresh": {"zh-CN": "刷新", "en": "Refresh"},
        "ui.plan.status.draft": {"zh-CN": "草稿", "en": "Draft"},
        "ui.plan.status.submitted": {"zh-CN": "已提交", "en": "Submitted"},
        "ui.plan.status.approved": {"zh-CN": "已批准", "en": "Approved"},
        "ui.plan.status.superseded": {"zh-CN": "已被替代", "en": "Superseded"},
        "ui.plan.status.final": {"zh-CN": "已完成", "en": "Final"},
        # cameras
        "cam.title": {"zh-CN": "探头盲区", "en": "Camera gaps"},
        "cam.intro": {"zh-CN": "计算每个探头的可视范围（考虑建筑遮挡），列出没有探头看到的路段和小区出入口，按风险排序并给出建议点位。",
                      "en": "Each camera's view (cut by buildings); the road segments and neighborhood entrances no camera sees, ranked by risk, with a suggested position."},
        "cam.run": {"zh-CN": "分析盲区", "en": "Find the gaps"},
        "cam.coming": {"zh-CN": "探头覆盖分析模块（geo.cameras）尚未安装，完成后将在此提供盲区清单和下载。",
                       "en": "The camera coverage module (geo.cameras) is not installed yet; the gap list and downloads will appear here."},
        "ui.cam.summary": {"zh-CN": "{cameras} 个探头；盲区 {gaps} 处", "en": "{cameras} cameras; {gaps} gaps"},
        "ui.cam.rank": {"zh-CN": "排名", "en": "Rank"},
        "ui.cam.kind": {"zh-CN": "类型", "en": "Kind"},
        "ui.cam.where": {"zh-CN": "位置", "en": "Where"},
        "ui.cam.incidents": {"zh-CN": "近12月警情", "en": "Incidents 12m"},
        "ui.cam.seen": {"zh-CN": "可见比例", "en": "Seen"},
        "ui.cam.suggest": {"zh-CN": "建议探头", "en": "Suggested camera"},
        "ui.cam.shown": {"zh-CN": "地图和表格显示前 {n} 处；完整清单请下载。", "en": "The map and table show the first {n}; download the full list."},
        "ui.gap.road_segment": {"zh-CN": "路段", "en": "Road segment"},
        "ui.gap.entrance": {"zh-CN": "小区出入口", "en": "Entrance"},
        "ui.gap.hotspot_cell": {"zh-CN": "热点网格", "en": "Hotspot cell"},
        "ui.cam.none_yet": {"zh-CN": "尚未分析。", "en": "Not analysed yet."},
        # reports
        "rep.title": {"zh-CN": "月度报表", "en": "Monthly reports"},
        "rep.coming": {"zh-CN": "月度报表（同比、环比、排名、示范小区、每周通报）模块正在开发，完成后将在此列出并提供下载。",
                       "en": "Monthly reports (year over year, month over month, rankings, model neighborhoods, weekly bulletins) are being written; they will be listed and downloadable here."},
        "rep.meanwhile": {"zh-CN": "现在可在总览页查看月度同比和派出所排名，或通过接口 /api/v1/stats 获取数据。",
                          "en": "Meanwhile the dashboard shows the year-over-year figures and the station ranking; the API serves them at /api/v1/stats."},
        "rep.intro": {"zh-CN": "“1234”工作法月度报表：同比环比、派出所和小区排名、示范小区、每周警情通报；生成 HTML（可打印）、XLSX、CSV 和 JSON。",
                      "en": "The method's monthly report: year over year and month over month, station and neighborhood rankings, model neighborhoods, weekly bulletins; as HTML (printable), XLSX, CSV and JSON."},
        "rep.month": {"zh-CN": "报表月份", "en": "Month"},
        "rep.station_title": {"zh-CN": "单个派出所的月报", "en": "One station's monthly report"},
        "rep.station": {"zh-CN": "派出所", "en": "Station"},
        "rep.station_open": {"zh-CN": "查看该所月报（HTML）", "en": "Open its report (HTML)"},
        "rep.station_xlsx": {"zh-CN": "下载 XLSX", "en": "Download XLSX"},
        "rep.half": {"zh-CN": "半年度", "en": "Half-year"},
        "rep.months": {"zh-CN": "月度报表", "en": "Monthly report"},
        "rep.halves": {"zh-CN": "派出所半年报告（居民评议会）", "en": "Half-year station report (review meetings)"},
        "rep.lang": {"zh-CN": "报表语言", "en": "Language of the report"},
        "rep.run": {"zh-CN": "生成报表", "en": "Make the report"},
        "rep.made": {"zh-CN": "已生成的报表", "en": "Reports made"},
        "ui.rep.made_one": {"zh-CN": "{month} 月度报表", "en": "Report for {month}"},
        "ui.rep.open": {"zh-CN": "查看报表（HTML）", "en": "Open the report (HTML)"},
        "ui.rep.measure": {"zh-CN": "指标", "en": "Figure"},
        "ui.rep.last_year": {"zh-CN": "去年同期", "en": "A year before"},
        "ui.rep.yoy": {"zh-CN": "同比", "en": "YoY"},
        "ui.rep.ytd": {"zh-CN": "年初至今", "en": "YTD"},
        "ui.rep.ytd_last_year": {"zh-CN": "去年同期累计", "en": "YTD a year before"},
        "ui.rep.none": {"zh-CN": "尚未生成报表。", "en": "No report made yet."},
        "ui.rep.month_col": {"zh-CN": "月份", "en": "Month"},
        "ui.rep.lang_col": {"zh-CN": "语言", "en": "Language"},
        "ui.rep.made_at": {"zh-CN": "生成时间", "en": "Made at"},
        "ui.rep.made_half": {"zh-CN": "{half} 派出所半年报告", "en": "Half-year station report {half}"},
        "ui.rep.rank": {"zh-CN": "名次", "en": "Rank"},
        "ui.rep.station": {"zh-CN": "派出所", "en": "Station"},
        "ui.rep.cases": {"zh-CN": "刑事案件", "en": "Criminal cases"},
        # recorded outputs (kept beside the workspace; shown after a restart of the server)
        "ui.rec.latest": {"zh-CN": "最近一次记录：{when}，{author}", "en": "Latest on record: {when}, by {author}"},
        "ui.rec.earlier": {"zh-CN": "更早的记录", "en": "Earlier"},
        "ui.rec.when": {"zh-CN": "时间", "en": "When"},
        "ui.rec.author": {"zh-CN": "制作人", "en": "By"},
        "ui.rec.what": {"zh-CN": "内容", "en": "What"},
        "ui.rec.files": {"zh-CN": "下载", "en": "Downloads"},
        "ui.rec.gaps": {"zh-CN": "盲区 {gaps} 处", "en": "{gaps} gaps"},
        "ui.rec.sites": {"zh-CN": "新增点位 {n} 个", "en": "{n} new sites"},
        "rep.unavailable": {"zh-CN": "报表模块尚未提供（geo.reports / app.report_render 未安装）",
                            "en": "reports are not available yet (geo.reports / app.report_render are not installed)"},
        # data
        "data.title": {"zh-CN": "数据导入", "en": "Import data"},
        "data.intro": {"zh-CN": "上传 CSV（UTF-8 或 GBK）、XLSX、GeoJSON、GeoPackage 或 Shapefile（zip），逐行检查后导入图层；被拒收的行列出原因。",
                       "en": "Upload CSV (UTF-8 or GBK), XLSX, GeoJSON, GeoPackage or zipped Shapefile; every row is checked and the rejected ones are listed with the reason."},
        "data.file": {"zh-CN": "文件", "en": "File"},
        "data.layer": {"zh-CN": "导入到图层", "en": "Layer"},
        "data.coords": {"zh-CN": "文件坐标系", "en": "Coordinates of the file"},
        "data.mapping": {"zh-CN": "字段对应（可选，每行 源列=目标列，如 发案时间=occurred_at）",
                         "en": "Column mapping (optional, one SOURCE=TARGET a line, e.g. 发案时间=occurred_at)"},
        "data.strict": {"zh-CN": "有任何错误行则整体拒收", "en": "Refuse the whole file if any row is bad"},
        "data.replace": {"zh-CN": "替换图层（默认追加）", "en": "Replace the layer (default: append)"},
        "data.submit": {"zh-CN": "上传并导入", "en": "Upload and import"},
        "data.max": {"zh-CN": "文件大小上限 {mb}", "en": "Largest file: {mb}"},
        "ui.data.result": {"zh-CN": "读取 {rows} 行：接收 {accepted}，拒收 {rejected}；图层 {layer} 现有 {total} 条",
                           "en": "{rows} rows read: {accepted} accepted, {rejected} rejected; layer {layer} now has {total}"},
        "ui.data.failed_rows": {"zh-CN": "未导入任何行：拒收 {rejected} 行", "en": "Nothing imported: {rejected} rows rejected"},
        "ui.data.report": {"zh-CN": "下载逐行报告（CSV）", "en": "Download the per-row report (CSV)"},
        "ui.data.rejected": {"zh-CN": "拒收的行（前 {n} 条）", "en": "Rejected rows (first {n})"},
        "ui.data.row": {"zh-CN": "行", "en": "Row"},
        "ui.data.column": {"zh-CN": "列", "en": "Column"},
        "ui.data.value": {"zh-CN": "值", "en": "Value"},
        "ui.data.reason": {"zh-CN": "原因", "en": "Reason"},
        "ui.data.uploading": {"zh-CN": "上传并检查中…", "en": "Uploading and checking…"},
        "coords.wgs84": {"zh-CN": "WGS84（GPS 原始坐标）", "en": "WGS84 (GPS)"},
        "coords.gcj02": {"zh-CN": "GCJ-02（高德、腾讯地图）", "en": "GCJ-02 (Amap, Tencent)"},
        "coords.bd09": {"zh-CN": "BD-09（百度地图）", "en": "BD-09 (Baidu)"},
        "coords.cgcs2000": {"zh-CN": "CGCS2000 经纬度", "en": "CGCS2000 lon/lat"},
        "coords.epsg4547": {"zh-CN": "CGCS2000 高斯投影 114°E（EPSG:4547，X/Y 米）",
                            "en": "CGCS2000 Gauss-Kruger 114E (EPSG:4547, X/Y metres)"},
        # errors
        "error.upload_too_large": {"zh-CN": "上传文件过大：上限为 {limit}；请拆分文件后分批导入",
                                   "en": "the upload is too large: the limit is {limit}; split the file and import it in parts"},
        "error.upload_not_multipart": {"zh-CN": "请以 multipart/form-data 表单上传文件",
                                       "en": "send the file as a multipart/form-data form"},
        "error.upload_no_file": {"zh-CN": "表单中没有文件（字段 {field}）", "en": "the form has no file (field {field})"},
    }
)


# -- sign-in, roles, permissions ------------------------------------------------------------------------
MESSAGES.update(
    {
        "auth.title": {"zh-CN": "登录", "en": "Sign in"},
        "auth.username": {"zh-CN": "用户名", "en": "User name"},
        "auth.password": {"zh-CN": "密码", "en": "Password"},
        "auth.role": {"zh-CN": "角色", "en": "Role"},
        "auth.sign_in_button": {"zh-CN": "登录", "en": "Sign in"},
        "auth.sign_out": {"zh-CN": "退出", "en": "Sign out"},
        "auth.demo_tag": {"zh-CN": "演示", "en": "demo"},
        "auth.demo_title": {"zh-CN": "演示系统：使用演示账户", "en": "Demo system: demo users"},
        "auth.demo_text": {
            "zh-CN": "本工作区是内置演示辖区，数据为模拟数据。以下演示账户的密码均为 {password}，仅供演示，切勿用于真实工作区。",
            "en": "This workspace is the built-in demo district with simulated data. Every demo user below has "
                  "the password {password}; for the demo only, never in a real workspace.",
        },
        "auth.no_users": {
            "zh-CN": "本工作区还没有用户。请管理员在服务器上执行：patrolnet users add 工作区.gpkg 用户名 --role admin",
            "en": "This workspace has no users yet. An administrator adds the first on the server: "
                  "patrolnet users add WORKSPACE.gpkg NAME --role admin",
        },
        "auth.note": {"zh-CN": "会话 {hours} 小时后或闲置 {minutes} 分钟后失效。",
                      "en": "Sessions end after {hours} hours, or {minutes} idle minutes."},
        "auth.bad_login": {"zh-CN": "用户名或密码错误。", "en": "Wrong user name or password."},
        "auth.too_many": {
            "zh-CN": "登录失败次数过多，请 {seconds} 秒后再试。",
            "en": "Too many failed sign-ins; try again in {seconds} seconds.",
        },
        "auth.login_csrf": {
            "zh-CN": "登录表单已过期，请重新输入后提交。",
            "en": "The sign-in form has expired; enter your name and password again.",
        },
        "auth.sign_in": {
            "zh-CN": "请先登录：浏览器打开 /login；脚本先 POST /api/v1/auth/token 取得令牌，再带上请求头 Authorization: Bearer 令牌",
            "en": "sign in first: browsers open /login; scripts POST /api/v1/auth/token for a token and send "
                  "'Authorization: Bearer TOKEN'",
        },
        "auth.expired": {
            "zh-CN": "会话或令牌无效或已过期，请重新登录（/login 或 POST /api/v1/auth/token）",
            "en": "the session or token is unknown or has expired; sign in again (/login or POST /api/v1/auth/token)",
        },
        "auth.bad_header": {
            "zh-CN": "Authorization 请求头应为 'Bearer 令牌'（令牌由 POST /api/v1/auth/token 取得）",
            "en": "the Authorization header must be 'Bearer TOKEN' (get one from POST /api/v1/auth/token)",
        },
        "auth.csrf": {
            "zh-CN": "缺少或错误的 CSRF 令牌（X-CSRF-Token 请求头）：请刷新页面后重试",
            "en": "missing or wrong CSRF token (X-CSRF-Token header): reload the page and try again",
        },
        "auth.forbidden": {
            "zh-CN": "无权限：{role}不能{what}",
            "en": "not allowed: a {role} may not {what}",
        },
        "role.admin": {"zh-CN": "系统管理员", "en": "administrator"},
        "role.commander": {"zh-CN": "指挥长", "en": "commander"},
        "role.station": {"zh-CN": "派出所", "en": "station"},
        "role.analyst": {"zh-CN": "分析员", "en": "analyst"},
        "role.officer": {"zh-CN": "巡逻民警", "en": "officer"},
        "perm.view": {"zh-CN": "查看页面、统计与图层", "en": "view pages, figures and layers"},
        "perm.export": {"zh-CN": "查看或导出巡逻路线与探头盲区清单", "en": "see or export patrol routes and camera gap lists"},
        "perm.plan": {"zh-CN": "规划巡逻路线、生成盲区清单", "en": "plan patrol routes or list camera gaps"},
        "perm.approve": {"zh-CN": "批准巡逻方案", "en": "approve shift plans"},
        "perm.analyse": {"zh-CN": "运行回测与月报", "en": "run backtests and monthly reports"},
        "perm.analyse_write": {"zh-CN": "运行热点与预测分析（写入工作区）", "en": "run hotspot and forecast analyses (stored in the workspace)"},
        "perm.site": {"zh-CN": "选择新探头点位", "en": "choose sites for new cameras"},
        "perm.change_data": {"zh-CN": "导入数据、划分小片区或责任区", "en": "import data, cut sub-zones or split coverage"},
        "perm.view_audit": {"zh-CN": "查看审计日志", "en": "read the audit log"},
        "perm.manage_users": {"zh-CN": "管理用户", "en": "manage users"},
        "perm.field": {"zh-CN": "在手机上查看本组巡逻方案并上传轨迹", "en": "carry a unit's plan on the phone and send its track"},
    }
)


# -- patrolnet users ----------------------------------------------------------------------------------------
MESSAGES.update(
    {
        "cli.users.title": {"zh-CN": "用户：{path}", "en": "Users of {path}"},
        "cli.users.demo_title": {
            "zh-CN": "演示账户（密码均为 {password}，仅供演示）",
            "en": "Demo users (password {password}; for the demo only)",
        },
        "cli.users.name": {"zh-CN": "用户名", "en": "User"},
        "cli.users.role": {"zh-CN": "角色", "en": "Role"},
        "cli.users.station": {"zh-CN": "派出所", "en": "Station"},
        "cli.users.unit": {"zh-CN": "巡逻单位", "en": "Unit"},
        "cli.users.display": {"zh-CN": "显示名", "en": "Display name"},
        "cli.users.active": {"zh-CN": "启用", "en": "Active"},
        "cli.users.created": {"zh-CN": "创建时间", "en": "Created"},
        "cli.users.password": {"zh-CN": "密码（至少 10 个字符）", "en": "Password (at least 10 characters)"},
        "cli.users.added": {"zh-CN": "已添加用户 {name}（{role}）", "en": "Added user {name} ({role})"},
        "cli.users.changed": {"zh-CN": "已修改用户 {name}（{role}）", "en": "Changed user {name} ({role})"},
        "cli.users.password_set": {"zh-CN": "已设置 {name} 的新密码", "en": "Set a new password for {name}"},
        "cli.users.removed": {"zh-CN": "已删除用户 {name}", "en": "Removed user {name}"},
    }
)


# -- the users and audit pages ------------------------------------------------------------------------------
MESSAGES.update(
    {
        "nav.users": {"zh-CN": "用户管理", "en": "Users"},
        "nav.audit": {"zh-CN": "审计日志", "en": "Audit log"},
        "users.title": {"zh-CN": "用户管理", "en": "Users"},
        "users.intro": {
            "zh-CN": "添加、修改、停用或删除用户，为用户设置新密码。修改角色、派出所或停用账户会立即结束该用户的会话；"
                     "每项操作都记入审计日志。",
            "en": "Add, change, disable or remove users and set their passwords. Changing a role or station, or "
                  "disabling a user, ends their sessions at once; every change goes to the audit log.",
        },
        "users.add_title": {"zh-CN": "添加用户", "en": "Add a user"},
        "users.username": {"zh-CN": "用户名", "en": "User name"},
        "users.username_hint": {
            "zh-CN": "2–32 个小写字母、数字、“.”、“_”或“-”，以字母或数字开头",
            "en": "2–32 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
        },
        "users.display_name": {"zh-CN": "显示名（可用中文）", "en": "Display name"},
        "users.role": {"zh-CN": "角色", "en": "Role"},
        "users.station": {"zh-CN": "派出所（仅派出所用户）", "en": "Station (station users only)"},
        "users.unit": {"zh-CN": "巡逻单位（仅巡逻民警）", "en": "Unit (officers only)"},
        "users.unit_hint": {"zh-CN": "巡逻民警登录后只看到本单位的巡逻方案（手机页面）",
                            "en": "An officer sees only its unit's plan (the phone page)"},
        "users.password": {"zh-CN": "密码", "en": "Password"},
        "users.password2": {"zh-CN": "再次输入密码", "en": "Password again"},
        "users.password_hint": {"zh-CN": "至少 {n} 个字符，不能与用户名相同", "en": "At least {n} characters, not the user name"},
        "users.submit": {"zh-CN": "添加", "en": "Add user"},
        "users.list_title": {"zh-CN": "全部用户", "en": "All users"},
        "users.no_stations": {
            "zh-CN": "工作区没有派出所图层：请填写派出所编号",
            "en": "the workspace has no stations layer: type the station id",
        },
        "audit.title": {"zh-CN": "审计日志", "en": "Audit log"},
        "audit.intro": {
            "zh-CN": "谁在何时导入、规划、导出、登录或修改了什么（只增不改，最新在前）。",
            "en": "Who imported, planned, exported, signed in or changed what, and when (append-only, newest first).",
        },
        "audit.filter": {"zh-CN": "操作", "en": "Action"},
        "audit.all": {"zh-CN": "全部操作", "en": "All actions"},
        "audit.page_size": {"zh-CN": "每页", "en": "Per page"},
        "audit.action.init": {"zh-CN": "创建工作区", "en": "Workspace created"},
        "audit.action.demo": {"zh-CN": "生成演示数据", "en": "Demo built"},
        "audit.action.import": {"zh-CN": "导入数据", "en": "Data import"},
        "audit.action.grid": {"zh-CN": "划分小片区", "en": "Sub-zone grid"},
        "audit.action.split": {"zh-CN": "划分责任区", "en": "Coverage split"},
        "audit.action.units_suggest": {"zh-CN": "生成巡逻力量建议", "en": "Patrol units suggested"},
        "audit.action.watchlist": {"zh-CN": "导出重点巡防位置", "en": "Places to watch exported"},
        "audit.action.hotspots": {"zh-CN": "热点分析", "en": "Hotspot analysis"},
        "audit.action.forecast": {"zh-CN": "风险预测", "en": "Forecast"},
        "audit.action.backtest": {"zh-CN": "回测", "en": "Backtest"},
        "audit.action.routes": {"zh-CN": "巡逻路线规划", "en": "Route plan"},
        "audit.action.report": {"zh-CN": "月报", "en": "Monthly report"},
        "audit.action.camera_gaps": {"zh-CN": "探头盲区清单", "en": "Camera gap list"},
        "audit.action.camera_site": {"zh-CN": "探头选址", "en": "Camera siting"},
        "audit.action.camera_coverage": {"zh-CN": "探头覆盖计算", "en": "Camera coverage"},
        "audit.action.categories": {"zh-CN": "警情类别变更", "en": "Incident categories changed"},
        "audit.action.backup": {"zh-CN": "备份", "en": "Backup"},
        "audit.action.restore": {"zh-CN": "恢复备份", "en": "Restore"},
        "audit.action.export": {"zh-CN": "导出", "en": "Export"},
        "audit.action.view": {"zh-CN": "查看（地图或图层接口）", "en": "Viewed (map or layers API)"},
        "audit.action.submit_plan": {"zh-CN": "提交巡逻方案", "en": "Plan submitted"},
        "audit.action.approve_plan": {"zh-CN": "批准巡逻方案", "en": "Plan approved"},
        "audit.action.login": {"zh-CN": "登录", "en": "Sign-in"},
        "audit.action.login_failed": {"zh-CN": "登录失败", "en": "Failed sign-in"},
        "audit.action.logout": {"zh-CN": "退出登录", "en": "Sign-out"},
        "audit.action.user_add": {"zh-CN": "添加用户", "en": "User added"},
        "audit.action.user_change": {"zh-CN": "修改用户", "en": "User changed"},
        "audit.action.user_remove": {"zh-CN": "删除用户", "en": "User removed"},
        "audit.action.password": {"zh-CN": "设置密码", "en": "Password set"},
        # the pages' scripts
        "ui.users.col.username": {"zh-CN": "用户名", "en": "User name"},
        "ui.users.col.display_name": {"zh-CN": "显示名", "en": "Display name"},
        "ui.users.col.role": {"zh-CN": "角色", "en": "Role"},
        "ui.users.col.station": {"zh-CN": "派出所", "en": "Station"},
        "ui.users.col.active": {"zh-CN": "状态", "en": "Status"},
        "ui.users.col.demo": {"zh-CN": "演示账户", "en": "Demo"},
        "ui.users.col.created": {"zh-CN": "创建时间", "en": "Created"},
        "ui.users.col.password_changed": {"zh-CN": "密码修改时间", "en": "Password changed"},
        "ui.users.col.actions": {"zh-CN": "操作", "en": "Actions"},
        "ui.users.active": {"zh-CN": "启用", "en": "Active"},
        "ui.users.inactive": {"zh-CN": "已停用", "en": "Disabled"},
        "ui.users.demo": {"zh-CN": "演示", "en": "demo"},
        "ui.users.you": {"zh-CN": "本人", "en": "you"},
        "ui.users.edit": {"zh-CN": "修改", "en": "Change"},
        "ui.users.disable": {"zh-CN": "停用", "en": "Disable"},
        "ui.users.enable": {"zh-CN": "启用", "en": "Enable"},
        "ui.users.set_password": {"zh-CN": "设密码", "en": "Password"},
        "ui.users.remove": {"zh-CN": "删除", "en": "Remove"},
        "ui.users.save": {"zh-CN": "保存", "en": "Save"},
        "ui.users.cancel": {"zh-CN": "取消", "en": "Cancel"},
        "ui.users.edit_title": {"zh-CN": "修改用户 {name}", "en": "Change {name}"},
        "ui.users.password_title": {"zh-CN": "为 {name} 设置新密码（其会话将结束）",
                                    "en": "New password for {name} (ends their sessions)"},
        "ui.users.new_password": {"zh-CN": "新密码", "en": "New password"},
        "ui.users.new_password2": {"zh-CN": "再次输入新密码", "en": "New password again"},
        "ui.users.confirm_remove": {
            "zh-CN": "确定删除用户 {name}？此操作无法撤销（审计日志仍保留其名）。",
            "en": "Remove the user {name}? This cannot be undone (the audit log keeps the name).",
        },
        "ui.users.confirm_remove_btn": {"zh-CN": "确认删除", "en": "Remove"},
        "ui.users.mismatch": {"zh-CN": "两次输入的密码不一致", "en": "The two passwords differ"},
        "ui.users.need_station": {"zh-CN": "派出所用户需要选择派出所", "en": "A station user needs a station"},
        "ui.users.self_locked": {"zh-CN": "不能停用或删除自己的账户", "en": "You cannot disable or remove yourself"},
        "ui.users.added": {"zh-CN": "已添加用户 {name}", "en": "Added the user {name}"},
        "ui.users.changed": {"zh-CN": "已修改用户 {name}", "en": "Changed the user {name}"},
        "ui.users.disabled": {"zh-CN": "已停用 {name}（其会话已结束）", "en": "Disabled {name} (their sessions ended)"},
        "ui.users.enabled": {"zh-CN": "已启用 {name}", "en": "Enabled {name}"},
        "ui.users.password_set": {"zh-CN": "已为 {name} 设置新密码（其会话已结束）",
                                  "en": "Set a new password for {name} (their sessions ended)"},
        "ui.users.removed": {"zh-CN": "已删除用户 {name}", "en": "Removed the user {name}"},
        "ui.users.count": {"zh-CN": "共 {n} 个用户", "en": "{n} users"},
        "ui.users.failed": {"zh-CN": "操作失败：{msg}", "en": "Failed: {msg}"},
        "ui.users.tz": {"zh-CN": "时间按 {tz} 显示", "en": "Times in {tz}"},
        "ui.users.name_display": {"zh-CN": "{name}（{display}）", "en": "{name} ({display})"},
        "ui.audit.col.time": {"zh-CN": "时间（{tz}）", "en": "Time ({tz})"},
        "ui.audit.local_time": {"zh-CN": "本机时间", "en": "local time"},
        "ui.audit.col.actor": {"zh-CN": "操作人", "en": "Actor"},
        "ui.audit.col.action": {"zh-CN": "操作", "en": "Action"},
        "ui.audit.col.target": {"zh-CN": "对象", "en": "Target"},
        "ui.audit.col.details": {"zh-CN": "详情", "en": "Details"},
        "ui.audit.prev": {"zh-CN": "上一页", "en": "Previous"},
        "ui.audit.next": {"zh-CN": "下一页", "en": "Next"},
        "ui.audit.range": {"zh-CN": "第 {from}–{to} 条", "en": "Entries {from}–{to}"},
        "ui.audit.none": {"zh-CN": "没有记录", "en": "No entries"},
        "ui.audit.failed": {"zh-CN": "无法读取审计日志：{msg}", "en": "Cannot read the audit log: {msg}"},
    }
)


# -- your account -------------------------------------------------------------------------------------------
MESSAGES.update(
    {
        "nav.account": {"zh-CN": "我的账户", "en": "My account"},
        "acct.title": {"zh-CN": "我的账户", "en": "My account"},
        "acct.scope": {"zh-CN": "可见范围", "en": "Sees"},
        "acct.expires": {"zh-CN": "本次会话到期", "en": "This session ends"},
        "acct.permissions": {"zh-CN": "权限", "en": "Permissions"},
        "acct.change": {"zh-CN": "修改密码", "en": "Change your password"},
        "acct.current": {"zh-CN": "当前密码", "en": "Current password"},
        "acct.new": {"zh-CN": "新密码（至少 10 个字符）", "en": "New password (at least 10 characters)"},
        "acct.again": {"zh-CN": "再次输入新密码", "en": "New password again"},
        "acct.submit": {"zh-CN": "修改密码", "en": "Change password"},
        "acct.note": {
            "zh-CN": "修改后，您在所有设备上的会话和令牌都会失效，需要重新登录。演示账户修改密码后即成为普通账户。",
            "en": "Afterwards every session and token of yours ends: sign in again. A demo user with a new "
                  "password becomes an ordinary user.",
        },
        "auth.bad_current": {"zh-CN": "当前密码错误。", "en": "The current password is wrong."},
        "ui.account.demo": {"zh-CN": "演示账户", "en": "demo user"},
        "ui.account.station": {"zh-CN": "本所辖区（{station}）", "en": "its own jurisdiction ({station})"},
        "ui.account.district": {"zh-CN": "全区", "en": "the whole district"},
        "ui.account.mismatch": {"zh-CN": "两次输入的新密码不一致。", "en": "The two new passwords differ."},
        "ui.account.changed": {"zh-CN": "密码已修改，请重新登录。", "en": "Password changed; sign in again."},
    }
)


# -- the user store's refusals, said in the page's language (app.storage.users tags them with a code) -----------------
MESSAGES.update(
    {
        "error.users.password_short": {
            "zh-CN": "密码太短（{n} 个字符）：至少 {min} 个字符，例如三个不相关的词",
            "en": "password too short ({n} characters): use at least {min}, e.g. three unrelated words",
        },
        "error.users.password_is_name": {"zh-CN": "密码不能与用户名相同", "en": "the password must not be the user name"},
        "error.users.bad_name": {
            "zh-CN": "用户名“{name}”不合规：请用 2–32 个小写字母、数字、“.”、“_”或“-”，以字母或数字开头（显示名可以用中文）",
            "en": "user name '{name}': use 2-32 lowercase letters, digits, '.', '_' or '-', starting with a letter "
                  "or digit (the display name may be Chinese)",
        },
        "error.users.exists": {"zh-CN": "用户“{name}”已存在，请换一个用户名", "en": "user '{name}' exists already; pick another name"},
        "error.users.bad_role": {
            "zh-CN": "角色“{role}”无效：请选系统管理员、指挥长、派出所、分析员或巡逻民警",
            "en": "role '{role}': use admin, commander, station, analyst or officer",
        },
        "error.users.need_station": {"zh-CN": "派出所用户需要选择所属派出所（其辖区）", "en": "a station user needs its station (its jurisdiction)"},
        "error.users.unknown_station": {
            "zh-CN": "派出所“{station}”不在工作区的派出所图层中；可选：{stations}",
            "en": "station '{station}' is not in the workspace's stations layer; use one of {stations}",
        },
        "error.users.station_for_role": {
            "zh-CN": "只有派出所用户才有所属派出所；{role} 查看全区（请不选派出所）",
            "en": "only station users have a station; a {role} sees the whole district (leave the station out)",
        },
        "error.users.last_admin": {
            "zh-CN": "“{name}”是最后一个启用的系统管理员；请先添加另一个管理员",
            "en": "'{name}' is the last active admin; add another admin first",
        },
        "error.users.no_user": {"zh-CN": "没有用户“{name}”", "en": "no user '{name}'"},
        "error.users.need_unit": {"zh-CN": "巡逻民警用户需要指定所属巡逻单位（如 U0001）",
                                  "en": "an officer user needs its unit (e.g. U0001)"},
        "error.users.unknown_unit": {
            "zh-CN": "巡逻单位“{unit}”不在工作区的巡逻单位图层中；可选：{units}",
            "en": "unit '{unit}' is not in the workspace's units layer; use one of {units}",
        },
        "error.users.unit_for_role": {
            "zh-CN": "只有巡逻民警用户才有所属巡逻单位；{role} 用户请不填巡逻单位",
            "en": "only officer users have a unit; a {role} user has none (leave the unit out)",
        },
        "error.config.public_url": {"zh-CN": "PATROLNET_PUBLIC_URL={url}：请填写手机访问本服务器的地址，如 http://10.1.2.3:8000",
                                    "en": "PATROLNET_PUBLIC_URL={url}: give the address phones reach the server at, e.g. http://10.1.2.3:8000"},
    }
)
