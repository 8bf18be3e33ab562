"""Errors of the data: workspaces, backups, imports (files, rows, columns), coordinate systems of
the data, the road network, sub-zones, and the request rules of the service layer (``error.<code>``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # -- workspaces (app.storage) ---------------------------------------------------------------------
    "error.workspace.missing": {
        "zh-CN": "工作区“{path}”不存在；请先生成演示工作区或新建工作区",
        "en": "workspace '{path}' does not exist; build the demo workspace or create a new one first",
    },
    "error.workspace.unreadable": {
        "zh-CN": "工作区“{path}”无法作为 GeoPackage 打开（{reason}）；请检查路径或重建工作区",
        "en": "workspace '{path}' cannot be opened as a GeoPackage ({reason}); check the path or rebuild it",
    },
    "error.workspace.not_patrolnet": {
        "zh-CN": "“{path}”是 GeoPackage，但不是 patrolnet 工作区（没有 meta 表）；请新建工作区或生成演示工作区",
        "en": "'{path}' is a GeoPackage but not a patrolnet workspace (no 'meta' table); create a workspace or build the demo",
    },
    "error.workspace.newer": {
        "zh-CN": "工作区“{path}”的结构版本为 {version}，高于本程序支持的版本（{supported}）；请升级 patrolnet",
        "en": "workspace '{path}' has schema version {version}, newer than this patrolnet ({supported}); upgrade patrolnet",
    },
    "error.workspace.no_crs": {
        "zh-CN": "工作区“{path}”没有记录工作坐标系；请重建工作区",
        "en": "workspace '{path}' records no working CRS; rebuild it",
    },
    "error.workspace.no_layer": {
        "zh-CN": "工作区没有图层“{layer}”（已有：{layers}）",
        "en": "the workspace has no layer '{layer}' (it has: {layers})",
    },
    "error.workspace.exists": {
        "zh-CN": "“{path}”已存在；请换一个路径，或选择覆盖",
        "en": "'{path}' already exists; choose another path or choose to overwrite it",
    },
    "error.workspace.problems": {
        "zh-CN": "工作区“{path}”：有 {n} 个问题，未写入任何内容\n{problems}",
        "en": "workspace '{path}': {n} problem(s), nothing was written\n{problems}",
    },
    "error.workspace.busy": {
        "zh-CN": "另一个 patrolnet 进程正在写入工作区，已超过 {seconds} 秒；请等它完成后重试",
        "en": "another patrolnet process has been writing the workspace for more than {seconds} s; wait for it to finish and try again",
    },
    "error.workspace.open_elsewhere": {
        "zh-CN": "工作区“{path}”正被另一个程序（如 QGIS）写入；请在那里关闭它（或从 QGIS 项目中移除该图层）后重试",
        "en": "workspace '{path}' is open for writing in another program (QGIS?); close it there (or remove the layer "
              "from the QGIS project) and try again",
    },
    "error.storage.backend": {
        "zh-CN": "本版本的 patrolnet 不支持“{scheme}://”工作区；请给出 .gpkg 工作区文件的路径",
        "en": "'{scheme}://' workspaces are not supported by this patrolnet; give the path of a .gpkg workspace file",
    },
    "error.storage.users_unreadable": {
        "zh-CN": "无法打开用户库（{reason}）；请检查工作区所在文件夹的权限",
        "en": "cannot open the user store ({reason}); check the permissions of the workspace's folder",
    },
    "error.storage.audit_unwritable": {
        "zh-CN": "无法写入审计日志（{reason}）；请检查工作区所在文件夹的权限",
        "en": "cannot write the audit log ({reason}); check the permissions of the workspace's folder",
    },
    # -- access (app.storage.access) ------------------------------------------------------------------
    "error.access.layer": {
        "zh-CN": "无权限：{role} 角色不能读取图层“{layer}”",
        "en": "not allowed: a {role} user may not read layer '{layer}'",
    },
    "error.access.no_stations": {
        "zh-CN": "工作区没有派出所辖区图层，无法确定派出所用户的辖区；请管理员导入派出所辖区",
        "en": "the workspace has no stations layer, so a station user's jurisdiction is unknown; ask an admin to import stations",
    },
    "error.access.unknown_station": {
        "zh-CN": "用户“{name}”所属的派出所“{station}”不在派出所辖区图层中；请管理员修正该用户",
        "en": "station '{station}' of user '{name}' is not in the stations layer; ask an admin to fix the user",
    },
    "error.access.read_only": {
        "zh-CN": "用户视图中的工作区是只读的；由任务写入工作区",
        "en": "a user's view of the workspace is read-only; jobs write to the workspace itself",
    },
    # -- backups (app.storage.backup, app.services.backups) -------------------------------------------
    "error.backup.keep": {
        "zh-CN": "保留备份数 {value} 无效；至少保留 1 个",
        "en": "keeping {value} backups is not possible; keep at least 1",
    },
    "error.backup.failed": {
        "zh-CN": "工作区“{path}”无法备份（{reason}）；请确认它是 patrolnet 工作区",
        "en": "workspace '{path}' cannot be backed up ({reason}); check that it is a patrolnet workspace",
    },
    "error.backup.bad_copy": {
        "zh-CN": "工作区“{path}”无法备份：副本{reason}；请检查文件（可在 QGIS 中打开）或恢复更早的备份",
        "en": "workspace '{path}' cannot be backed up: the copy is {reason}; check the file (open it in QGIS) or "
              "restore an earlier backup",
    },
    "error.backup.missing": {
        "zh-CN": "备份“{name}”不存在；请从备份列表中选择",
        "en": "backup '{name}' does not exist; pick one from the list of backups",
    },
    "error.backup.not_a_backup": {
        "zh-CN": "“{name}”不是 patrolnet 工作区备份（{reason}）；未做任何恢复，请从备份列表中选择",
        "en": "'{name}' is not a patrolnet workspace backup ({reason}); nothing was restored; pick one from the list of backups",
    },
    "error.backup.restore_failed": {
        "zh-CN": "恢复“{name}”失败：其副本{reason}；未做任何恢复",
        "en": "restoring '{name}' failed: its copy is {reason}; nothing was restored",
    },
    "error.backup.number": {
        "zh-CN": "备份编号 {n} 无效：工作区共有 {count} 个备份；请从备份列表中选择",
        "en": "backup number {n}: the workspace has {count} backups; pick one from the list of backups",
    },
    # -- coordinate systems of the data ---------------------------------------------------------------
    "error.crs.unknown": {
        "zh-CN": "无法识别坐标系“{value}”；请写成 EPSG:NNNN",
        "en": "unknown coordinate system '{value}'; give it as EPSG:NNNN",
    },
    "error.crs.working_degrees": {
        "zh-CN": "工作坐标系 {crs} 是地理坐标系（单位为度）；请选择以米为单位的投影坐标系，例如 EPSG:4547 或当地的 UTM 分带",
        "en": "working CRS {crs} is geographic (degrees); choose a projected CRS in metres such as EPSG:4547 or the local UTM zone",
    },
    # -- what the workspace lacks (app.services) ------------------------------------------------------
    "error.data.no_incidents": {
        "zh-CN": "工作区没有警情；请先在“数据”页导入警情",
        "en": "the workspace has no incidents; import them on the Data page first",
    },
    "error.data.no_incidents_selected": {
        "zh-CN": "所选日期范围和类别内没有警情；请选择更长的日期范围或其他类别",
        "en": "no incident in the period and categories asked for; choose a longer date range or another category",
    },
    "error.data.no_subzones": {
        "zh-CN": "工作区还没有小片区；请先划分小片区网格",
        "en": "the workspace has no sub-zones yet; build the sub-zone grid first",
    },
    "error.data.no_units": {
        "zh-CN": "工作区没有巡逻力量；请先在“数据”页导入巡逻力量（units）",
        "en": "the workspace has no patrol units; import them (units) on the Data page first",
    },
    "error.data.no_roads": {
        "zh-CN": "工作区没有路网；请先导入道路网络（OpenStreetMap 数据）",
        "en": "the workspace has no road network; import the roads (OpenStreetMap data) first",
    },
    # -- request rules (app.services.params and the use cases) ----------------------------------------
    "error.param.day": {
        "zh-CN": "“{value}”不是日期；请写成 YYYY-MM-DD，例如 2026-10-31",
        "en": "'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-10-31",
    },
    "error.param.month": {
        "zh-CN": "“{value}”不是月份；请写成 YYYY-MM，例如 2026-09",
        "en": "'{value}' is not a month; write it as YYYY-MM, e.g. 2026-09",
    },
    "error.param.shift": {
        "zh-CN": "班次“{value}”无效；请写成 开始-结束，例如 08:00-12:00 或 22:00至06:00",
        "en": "shift '{value}' is not valid; write it as START-END, e.g. 08:00-12:00 or 22:00-06:00",
    },
    "error.param.period": {
        "zh-CN": "结束日期 {end} 早于开始日期 {start}；请调整日期范围",
        "en": "the last day {end} is before the first day {start}; change the date range",
    },
    "error.param.grid_both": {
        "zh-CN": "请只给出小片区数量或目标面积之一，不要同时给出",
        "en": "give either the number of sub-zones or their target area, not both",
    },
    "error.param.grid_count": {
        "zh-CN": "小片区数量 {count} 无效；至少为 1",
        "en": "{count} sub-zones is not possible; ask for at least 1",
    },
    "error.param.grid_area": {
        "zh-CN": "目标面积 {area} 平方米无效；须为正数",
        "en": "a target area of {area} m² is not possible; give a positive area",
    },
    "error.param.cells": {
        "zh-CN": "预测单元“{value}”无效；可选：格网（grid）、小片区（subzones）或路段（segments）",
        "en": "forecast places '{value}' are not known; choose grid, subzones or segments",
    },
    "error.param.weeks": {
        "zh-CN": "结束周 {end} 早于起始周 {start}；请调整评估周",
        "en": "the last week {end} is before the first week {start}; change the weeks",
    },
    "error.param.tune_weeks": {
        "zh-CN": "调参周“{value}”无效；请写成 起-止，例如 2-13，或不调参",
        "en": "tuning weeks '{value}' are not valid; write them as FIRST-LAST, e.g. 2-13, or choose no tuning",
    },
    "error.param.tune_weeks_order": {
        "zh-CN": "调参周 {first} 至 {last} 须在评估起始周 {start} 之前结束；请选择更早的调参周",
        "en": "tuning weeks {first} to {last} must end before the first evaluated week {start}; choose earlier tuning weeks",
    },
    "error.param.out_table": {
        "zh-CN": "输出文件“{value}”的格式不支持；请使用 .csv、.gpkg 或 .geojson 文件",
        "en": "output file '{value}': use a .csv, .gpkg or .geojson file",
    },
    "error.param.out_routes": {
        "zh-CN": "输出“{value}”的格式不支持；请给出文件夹，或 .gpx、.geojson、.kml、.csv 等路线文件",
        "en": "output '{value}' is not supported; give a folder or a route file (.gpx, .geojson, .kml, .csv, ...)",
    },
    "error.param.layer": {
        "zh-CN": "图层“{layer}”不能导入；可选：{layers}",
        "en": "layer '{layer}' cannot be imported; choose one of {layers}",
    },
    "error.param.timezone": {
        "zh-CN": "“{value}”不是已知的时区；请使用如 Asia/Shanghai 的时区名",
        "en": "'{value}' is not a known time zone; use a name such as Asia/Shanghai",
    },
    "error.param.siting_size": {
        "zh-CN": "请给出新增探头数量，或要达到的覆盖比例",
        "en": "give how many new cameras to add, or the share of risk they should cover",
    },
    "error.param.unit_kinds": {
        "zh-CN": "巡逻力量类型 {kinds} 暂不生成路线；请选择特巡警车辆或网格巡逻组",
        "en": "unit kind(s) {kinds} get no routes yet; choose brigade vehicles or grid teams",
    },
    "error.station.brigade": {
        "zh-CN": "派出所 {station}：特巡警车辆属于特巡警大队，不属于派出所；请规划本所的网格巡逻组",
        "en": "station {station}: brigade vehicles belong to the special patrol brigade, not to a station; "
              "plan the station's own grid teams",
    },
    "error.station.no_units": {
        "zh-CN": "派出所 {station} 在巡逻力量图层中没有 {kinds} 类型的力量",
        "en": "station {station} has no units of kind(s) {kinds} in the units layer",
    },
}
