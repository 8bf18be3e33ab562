"""Messages in zh-CN (the default) and English, for the web app and the CLI.

Framework-free: a dict of message keys -> {"zh-CN": ..., "en": ...}, :func:`t` to look one up
(with ``str.format`` fields) and :func:`normalize_lang` to turn whatever a user typed
(``zh``, ``zh_CN``, ``cn``, ``中文``, ``en-US``, ``English``, ...) into a supported code.
"""

from __future__ import annotations

from geo.schema import CAMERA_KINDS, CATEGORIES, NEIGHBORHOOD_KINDS, UNIT_KINDS

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "MESSAGES",
    "category_label",
    "layer_label",
    "normalize_lang",
    "other_lang",
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
    "layer.buildings": {"zh-CN": "建筑物", "en": "Buildings"},
    "layer.water": {"zh-CN": "水系", "en": "Water"},
    "layer.demo_truth": {"zh-CN": "演示真实强度", "en": "Demo true intensity"},
    "layer.edge_owners": {"zh-CN": "路段责任归属", "en": "Road edge owners"},
    "layer.beats": {"zh-CN": "特巡警巡区", "en": "Brigade beats"},
    "layer.grid_team_areas": {"zh-CN": "网格巡逻区", "en": "Grid-team areas"},
    "layer.split_summary": {"zh-CN": "责任划分汇总", "en": "Split summary"},
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


def category_label(code: str, lang: str = DEFAULT_LANG) -> str:
    """Incident category label from :data:`geo.schema.CATEGORIES` (the code itself if unknown)."""
    entry = CATEGORIES.get(code)
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
        "cli.init.done": {
            "zh-CN": "已创建工作区 {path}（坐标系 {crs}）",
            "en": "Created workspace {path} (CRS {crs})",
        },
    }
)
