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
    "error.workspace.no_column": {
        "zh-CN": "工作区图层“{layer}”没有字段“{column}”",
        "en": "layer '{layer}' of the workspace has no column '{column}'",
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
    "error.storage.jobs_unreadable": {
        "zh-CN": "无法打开任务队列“{path}”（{reason}）；请检查该文件夹的权限",
        "en": "cannot open the job queue '{path}' ({reason}); check the folder's permissions",
    },
    "error.jobs.worker_lost": {
        "zh-CN": "运行此任务的进程已停止（被终止或崩溃），已尝试 {attempts} 次；工作区未被改动，请重新提交该任务",
        "en": "the process running this job stopped (killed or crashed) after {attempts} attempt(s); the workspace "
              "is unchanged, submit the job again",
    },
    "error.jobs.worker_retried": {
        "zh-CN": "第 {attempts} 次运行此任务的进程已停止（被终止或崩溃）；任务已重新排队，将再运行一次",
        "en": "the process running attempt {attempts} of this job stopped (killed or crashed); the job was queued "
              "again and runs once more",
    },
    "error.storage.backend": {
        "zh-CN": "本版本的 patrolnet 不支持“{scheme}://”工作区；请给出 .gpkg 工作区文件的路径",
        "en": "'{scheme}://' workspaces are not supported by this patrolnet; give the path of a .gpkg workspace file",
    },
    "error.storage.pg_url": {
        "zh-CN": "“{value}”不是 postgresql:// 地址；请写成 postgresql://用户@主机/数据库?schema=名称",
        "en": "'{value}' is not a postgresql:// location; write it as postgresql://USER@HOST/DB?schema=NAME",
    },
    "error.storage.pg_schema": {
        "zh-CN": "模式名“{value}”无效：请只用小写字母、数字和下划线（如 yushui）",
        "en": "schema '{value}': use lowercase letters, digits and _ (e.g. yushui)",
    },
    "error.storage.pg_connect": {
        "zh-CN": "无法连接数据库（{reason}）；请检查地址以及数据库是否在运行",
        "en": "cannot connect to the database ({reason}); check the address and that the database is running",
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
        "zh-CN": "工作区没有警情；请先在“数据导入”页导入警情",
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
        "zh-CN": "工作区没有巡逻力量；请先在“数据导入”页导入巡逻力量（units），或按路网生成一份建议的"
                 "巡逻力量表（units suggest），修改后再导入",
        "en": "the workspace has no patrol units; import them (units) on the Data page first, or have a line-up "
              "suggested from the roads (units suggest) to edit and import",
    },
    "error.units.no_roads": {
        "zh-CN": "工作区的路网里没有可巡逻的道路；请先导入 OpenStreetMap 路网",
        "en": "the workspace's road network has no streets to patrol; import an OSM extract first",
    },
    "error.units.none_suggested": {
        "zh-CN": "无法生成巡逻力量建议：路网没有主干道，支路也太少；请导入范围更大的路网",
        "en": "no patrol units could be suggested: the road network has no main roads and too few local streets; "
              "import a larger extract",
    },
    "error.param.out_units": {
        "zh-CN": "“{value}”：建议的巡逻力量请写成 .csv 或 .xlsx 文件",
        "en": "'{value}': write the suggested units as a .csv or .xlsx file",
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
    "error.param.out_list": {
        "zh-CN": "输出文件 {value}：重点位置清单请存为 .csv 或 .xlsx 文件",
        "en": "output file {value}: write the list of places as a .csv or .xlsx file",
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
        "zh-CN": "没有“{kinds}”这种巡逻力量类型；请从 brigade_vehicle（特巡警巡逻车）、grid_team（1+2+N 网格巡逻队）、"
                 "station_team（派出所巡逻组）、volunteer_team（群防群治巡逻队）、skynet_guard（天网巡防员）中选择",
        "en": "unit kind(s) {kinds} are not kinds of patrol unit; choose among brigade_vehicle, grid_team, "
              "station_team, volunteer_team and skynet_guard",
    },
    "error.station.brigade": {
        "zh-CN": "派出所 {station}：特巡警车辆属于特巡警大队，不属于派出所；请规划本所的网格巡逻组",
        "en": "station {station}: brigade vehicles belong to the special patrol brigade, not to a station; "
              "plan the station's own grid teams",
    },
    "error.station.unknown": {
        "zh-CN": "派出所图层中没有编号为 {station} 的派出所；请检查派出所编号",
        "en": "station {station} is not in the stations layer; check the station id",
    },
    "error.station.no_units": {
        "zh-CN": "派出所 {station} 在巡逻力量图层中没有 {kinds} 类型的力量",
        "en": "station {station} has no units of kind(s) {kinds} in the units layer",
    },
    # -- imported files (geo.tables, app.services.imports) ------------------------------------------
    "error.import.missing": {
        "zh-CN": "文件“{name}”不存在；请检查路径",
        "en": "file '{name}' does not exist; check the path",
    },
    "error.import.empty": {
        "zh-CN": "文件“{name}”是空的；请重新导出带表头和数据的表格",
        "en": "file '{name}' is empty; export the table again with a header row and data",
    },
    "error.import.bad_csv": {
        "zh-CN": "文件“{name}”不是可读取的 CSV 表格（{reason}）；请检查分隔符和引号",
        "en": "file '{name}' is not a readable CSV table ({reason}); check the delimiter and quotes",
    },
    "error.import.encoding": {
        "zh-CN": "文件“{name}”的文字编码既不是 UTF-8 也不是 GBK/GB18030；请在 Excel 中另存为“CSV UTF-8”后重新上传",
        "en": "file '{name}' is neither UTF-8 nor GBK/GB18030 text; save it from Excel as 'CSV UTF-8' and upload it again",
    },
    "error.import.bad_xlsx": {
        "zh-CN": "文件“{name}”不是可读取的 Excel 工作簿（{reason}）；请另存为 .xlsx",
        "en": "file '{name}' is not a readable Excel workbook ({reason}); save it as .xlsx",
    },
    "error.import.unreadable": {
        "zh-CN": "文件“{name}”无法读取（{reason}）；请检查文件",
        "en": "file '{name}' cannot be read ({reason}); check the file",
    },
    "error.import.no_unit": {
        "zh-CN": "找不到巡逻单位列：请把列名写成“巡逻单位编号”或 unit_id，或为整个文件指定一个单位",
        "en": "no unit column found: name it 巡逻单位编号/unit_id, or give the whole file one unit",
    },
    "error.import.no_points": {
        "zh-CN": "文件“{name}”中没有带时间的点：请导出带时间的轨迹",
        "en": "'{name}': no point with a time in it; export the track with its times",
    },
    "error.import.file_type": {
        "zh-CN": "文件“{name}”的类型“{suffix}”不受支持；请使用 CSV、XLSX、GeoJSON、GeoPackage、Shapefile、GPX 或 KML",
        "en": "file '{name}' has an unknown type '{suffix}'; use CSV, XLSX, GeoJSON, GeoPackage, Shapefile, GPX or KML",
    },
    "error.import.no_column": {
        "zh-CN": "字段对应“{column}={target}”：文件中没有列“{column}”（已有列：{columns}）",
        "en": "column mapping {column}={target}: the file has no column '{column}' (it has: {columns})",
    },
    "error.import.category_code": {
        "zh-CN": "类别对应“{source}={value}”：“{value}”不是类别代码（可用代码：{known}）",
        "en": "category map {source}={value}: '{value}' is not a category code ({known})",
    },
    "error.category.bad_code": {
        "zh-CN": "类别代码“{value}”不可用：请用 2-32 个小写英文字母、数字或下划线，以字母开头（例如 shooting）",
        "en": "category code '{value}': use 2-32 lowercase letters, digits or _, starting with a letter (e.g. shooting)",
    },
    "error.category.exists": {
        "zh-CN": "类别“{value}”已存在（{zh} / {en}）",
        "en": "category '{value}' exists already ({zh} / {en})",
    },
    "error.category.bad_name_zh": {
        "zh-CN": "类别“{value}”：请填写 1-{most} 个字的中文名称",
        "en": "category '{value}': give a Chinese name of 1-{most} characters",
    },
    "error.category.bad_name_en": {
        "zh-CN": "类别“{value}”：请填写 1-{most} 个字符的英文名称",
        "en": "category '{value}': give an English name of 1-{most} characters",
    },
    "error.category.name_taken": {
        "zh-CN": "类别名称“{name}”已被类别“{other}”使用，请换一个名称",
        "en": "category name '{name}' is taken by '{other}'; choose another name",
    },
    "error.category.bad_group": {
        "zh-CN": "类别归属“{value}”不可用：请选择 {known} 之一",
        "en": "category group '{value}': use one of {known}",
    },
    "error.category.builtin": {
        "zh-CN": "类别“{value}”为内置类别，不能删除",
        "en": "category '{value}' is built in and stays",
    },
    "error.category.unknown": {
        "zh-CN": "类别“{value}”不是本工作区添加的类别（已添加：{known}）",
        "en": "category '{value}' is not one of the workspace's added categories ({known})",
    },
    "error.category.in_use": {
        "zh-CN": "类别“{value}”仍有 {n} 起警情在用：请先用其他类别重新导入这些警情（替换图层），再删除",
        "en": "category '{value}' is the category of {n} incident(s); import them again with another category "
              "(replacing the layer) before removing it",
    },
    "error.import.no_coordinates": {
        "zh-CN": "找不到坐标列：请将列命名为 经度/纬度、lon/lat 或 X/Y，或在“字段对应”中写明，例如 你的列=lon",
        "en": "no coordinate columns found: name them 经度/纬度, lon/lat or X/Y, or map them under column mapping, e.g. your_column=lon",
    },
    "error.import.no_time": {
        "zh-CN": "找不到时间列：请将列命名为 发案时间/occurred_at（或给出年、月、日[、时、分]），或在“字段对应”中写明，例如 你的列=occurred_at",
        "en": "no time column found: name it 发案时间/occurred_at (or give YEAR, MONTH, DAY[, HOUR, MINUTE]), or map it "
              "under column mapping, e.g. your_column=occurred_at",
    },
    "error.import.no_category": {
        "zh-CN": "找不到类别列：请将列命名为 案件类别/category，或在“字段对应”中写明，例如 你的列=category",
        "en": "no category column found: name it 案件类别/category, or map it under column mapping, e.g. your_column=category",
    },
    "error.import.no_name": {
        "zh-CN": "找不到名称列：请将列命名为 名称/name，或在“字段对应”中写明，例如 你的列=name",
        "en": "no name column found: name it 名称/name, or map it under column mapping, e.g. your_column=name",
    },
    "error.import.need_polygons": {
        "zh-CN": "面图层需要含多边形的地理数据文件（GeoJSON、GeoPackage 或 Shapefile）",
        "en": "polygon layers need a geodata file (GeoJSON, GeoPackage or Shapefile) with polygons",
    },
    "error.import.strict": {
        "zh-CN": "文件“{name}”的 {rows} 行中有 {rejected} 行被拒收（已选择有错误行则整体拒收，未导入任何行）；"
                 "第一处：第 {row} 行，列“{column}”：{reason}；全部原因见逐行报告",
        "en": "file '{name}': {rejected} of {rows} rows rejected (refusing the whole file: nothing imported); "
              "first: row {row}, column '{column}': {reason}; every reason is in the per-row report",
    },
    "error.import.nothing": {
        "zh-CN": "文件“{name}”中没有可以导入的行（拒收 {rejected} 行）；原因见逐行报告",
        "en": "file '{name}': no row could be imported ({rejected} rejected); the reasons are in the per-row report",
    },
    "error.boundary.no_polygon": {
        "zh-CN": "边界文件“{name}”中没有多边形；请提供辖区轮廓的多边形",
        "en": "boundary file '{name}' holds no polygon; give the district's outline as polygons",
    },
    "error.boundary.not_degrees": {
        "zh-CN": "边界文件“{name}”的坐标系为 {crs}，不是经纬度，不能按 {coords} 纠偏；请选择正确的边界坐标系",
        "en": "boundary file '{name}' is in {crs}, not degrees, so it cannot be read as {coords}; choose the boundary's "
              "coordinate system again",
    },
    "error.boundary.unusable": {
        "zh-CN": "边界文件“{name}”中没有可用的多边形（{reason}）；请修正轮廓后重试",
        "en": "boundary file '{name}' has no usable polygon ({reason}); fix the outline and try again",
    },
    "error.coords.unknown": {
        "zh-CN": "无法识别坐标系“{value}”；可选：{known}",
        "en": "unknown coordinate system '{value}'; use {known}",
    },
    "error.crs.not_degrees": {
        "zh-CN": "({lon}, {lat}) 不是以度为单位的经纬度；请先转换为 WGS84（EPSG:4326），或直接指定工作坐标系",
        "en": "({lon}, {lat}) is not a longitude/latitude in degrees; convert it to WGS84 (EPSG:4326) first or give "
              "the working CRS",
    },
    # -- new workspaces (app.services.workspace) ------------------------------------------------------
    "error.init.nothing": {
        "zh-CN": "没有可用于新建工作区的数据：请提供 OpenStreetMap 路网文件（或联网时的地名）、辖区边界文件或工作坐标系",
        "en": "nothing to build from: give an OpenStreetMap file (or a place name, online), a boundary file or a "
              "working CRS",
    },
    "error.init.osm_and_place": {
        "zh-CN": "请只给出 OpenStreetMap 文件或地名之一，不要同时给出",
        "en": "give either an OpenStreetMap file or a place name, not both",
    },
    # -- the road network from OpenStreetMap (geo.osm) -----------------------------------------------
    "error.osm.missing": {
        "zh-CN": "OSM 文件“{name}”不存在；请检查路径，或重新下载路网提取文件（Geofabrik/BBBike 的 .osm.pbf，或 Overpass、JOSM 导出的 .osm）",
        "en": "OSM file '{name}' does not exist; check the path, or download the extract again (Geofabrik/BBBike .osm.pbf, "
              "an Overpass or JOSM .osm export)",
    },
    "error.osm.folder": {
        "zh-CN": "“{name}”是文件夹，不是 OSM 文件；请给出 .osm 或 .osm.pbf 文件本身",
        "en": "'{name}' is a folder, not an OSM file; give the .osm or .osm.pbf file itself",
    },
    "error.osm.unreadable": {
        "zh-CN": "无法读取 OSM 文件“{name}”（{reason}）；请检查文件权限",
        "en": "cannot read OSM file '{name}' ({reason}); check its permissions",
    },
    "error.osm.empty": {
        "zh-CN": "OSM 文件“{name}”是空的；请重新下载或导出路网提取文件",
        "en": "OSM file '{name}' is empty; download or export the extract again",
    },
    "error.osm.not_osm": {
        "zh-CN": "“{name}”不是 OSM 文件（不是 XML、PBF、bzip2 或 gzip）；请重新下载或导出路网提取文件",
        "en": "'{name}' is not an OSM file (not XML, PBF, bzip2 or gzip); download or export the extract again",
    },
    "error.osm.damaged": {
        "zh-CN": "OSM 文件“{name}”已损坏或不完整（{reason}）；请重新下载或导出路网提取文件",
        "en": "OSM file '{name}' is damaged or truncated ({reason}); download or export the extract again",
    },
    "error.osm.no_nodes": {
        "zh-CN": "OSM 文件“{name}”有 {ways} 条道路，但缺少它们的节点（文件可能未排序）；请重新下载或导出路网提取文件",
        "en": "OSM file '{name}' has {ways} road ways but none of their nodes (is it unsorted?); download or export the "
              "extract again",
    },
    "error.osm.no_roads": {
        "zh-CN": "OSM 文件“{name}”中没有道路；请导出包含街道网络的提取文件（不只是建筑物或兴趣点）",
        "en": "OSM file '{name}' contains no roads; export an extract that includes the street network (not only "
              "buildings or points of interest)",
    },
    "error.osm.outside_boundary": {
        "zh-CN": "“{name}”中没有任何道路位于辖区边界内；请确认提取范围覆盖辖区，且边界的坐标系正确",
        "en": "no road of '{name}' lies inside the boundary; check that the extract covers the district and that the "
              "boundary's coordinate system is right",
    },
    "error.osm.boundary_empty": {
        "zh-CN": "辖区边界为空；请提供用于裁剪道路的辖区多边形",
        "en": "the boundary is empty; give the district polygon to clip the roads to",
    },
    "error.osm.offline": {
        "zh-CN": "没有互联网：请在联网的电脑上下载路网提取文件，再从文件导入",
        "en": "no internet: download the extract on a connected machine and import it from the file",
    },
    "error.osm.place": {
        "zh-CN": "无法下载“{place}”的街道（{reason}）；请检查地名",
        "en": "cannot download the streets of '{place}' ({reason}); check the place name",
    },
    # -- the sub-zone grid (geo.subzones) -------------------------------------------------------------
    "error.grid.no_blocks": {
        "zh-CN": "路网在辖区边界内围不成任何街区；请检查道路图层和辖区边界",
        "en": "the road network encloses no block inside the boundary; check the road layer and the boundary",
    },
    "error.grid.no_blocks_in_areas": {
        "zh-CN": "没有街区位于所给的派出所或社区辖区内；请检查它们的坐标系和范围",
        "en": "no street block lies inside the stations or communities given; check their coordinate system and extent",
    },
    "error.grid.too_few_pieces": {
        "zh-CN": "要求 {count} 个小片区，但街区切分后只有 {pieces} 块；请减少小片区数量，或改为按目标面积划分",
        "en": "{count} sub-zones asked for, but the street blocks give only {pieces} pieces; ask for fewer sub-zones or "
              "give a target area instead",
    },
    # -- uploaded and opened files (geo.hostile) -----------------------------------------------------
    "error.file.name_characters": {
        "zh-CN": "文件名“{name}”含有控制字符或不可见字符（{chars}）；请只用字母、数字或汉字重新命名",
        "en": "file name '{name}' contains control or invisible characters ({chars}); rename it with plain letters, "
              "digits or Chinese characters",
    },
    "error.file.name_path": {
        "zh-CN": "文件名“{name}”包含路径；请只以文件名本身上传（例如 警情.csv）",
        "en": "file name '{name}' is a path; send the file by its name only (e.g. 警情.csv)",
    },
    "error.file.name_empty": {
        "zh-CN": "文件名“{name}”去掉文件夹和点之后为空；请重新命名",
        "en": "file name '{name}' has no name left once folders and dots are removed; rename it",
    },
    "error.file.name_reserved": {
        "zh-CN": "文件名“{name}”含有文件系统保留的字符 {chars}；请去掉后重新命名",
        "en": "file name '{name}' contains {chars}, which file systems reserve; rename the file without them",
    },
    "error.file.name_device": {
        "zh-CN": "文件名“{name}”是 Windows 设备名 {device}；请重新命名",
        "en": "file name '{name}' is the Windows device name {device}; rename the file",
    },
    "error.file.not_a_file": {
        "zh-CN": "“{name}”不是普通文件（文件夹或设备？）；请给出文件本身",
        "en": "'{name}' is not a regular file (a folder or device?); give the file itself",
    },
    "error.file.too_large": {
        "zh-CN": "文件“{name}”大小为 {size}，超过上限 {limit}；请拆分文件（例如每年的警情一个文件）后分批导入，或请管理员提高上限",
        "en": "file '{name}' is {size}, over the limit of {limit}; split it (e.g. one year of incidents per file) or "
              "ask the administrator to raise the limit",
    },
    "error.file.type": {
        "zh-CN": "这里不接受“{suffix}”类型的文件“{name}”；可用类型：{allowed}",
        "en": "file '{name}': files of type '{suffix}' are not accepted here; use one of {allowed}",
    },
    "error.file.empty": {
        "zh-CN": "文件“{name}”是空的（0 字节）；请重新导出",
        "en": "file '{name}' is empty (0 bytes); export it again",
    },
    "error.file.content": {
        "zh-CN": "文件“{name}”的扩展名是 {suffix}，但内容是 {content}，不是 {wanted}；请重新导出为真正的 {suffix} 文件",
        "en": "file '{name}' is named {suffix} but its content is {content}, not {wanted}; export it again as a real "
              "{suffix} file",
    },
    "error.file.zip_not_xlsx": {
        "zh-CN": "文件“{name}”是 ZIP 压缩包，但不是 Excel 工作簿；请在 Excel 中另存为 .xlsx，或上传 CSV",
        "en": "file '{name}' is a ZIP archive but not an Excel workbook; save it from Excel as .xlsx, or send the CSV",
    },
    "error.file.kmz": {
        "zh-CN": "文件“{name}”是不含 .kml 的 ZIP 压缩包；请重新导出 KMZ",
        "en": "file '{name}' is a ZIP archive without a .kml inside; export the KMZ again",
    },
    "error.file.zip_no_geodata": {
        "zh-CN": "压缩包“{name}”中没有地理数据（无 .shp、.geojson、.gpkg 或 .kml）；请把 Shapefile 的 .shp、.shx、.dbf、.prj 一起压缩，或直接上传 GeoJSON/GeoPackage",
        "en": "'{name}' holds no geodata (no .shp, .geojson, .gpkg or .kml inside); zip the shapefile's .shp, .shx, "
              ".dbf and .prj together, or send the GeoJSON or GeoPackage itself",
    },
    "error.file.damaged": {
        "zh-CN": "文件“{name}”已损坏或不完整（{reason}）；请重新导出、下载或压缩",
        "en": "file '{name}' is damaged or truncated ({reason}); export, download or zip it again",
    },
    "error.file.bomb": {
        "zh-CN": "文件“{name}”解压后过大或结构异常（疑似压缩炸弹），已在解压前拒收；请上传较小的文件，或拆分后分批上传",
        "en": "file '{name}' would unpack too large or is built oddly (a zip bomb?); refused before unpacking; send a "
              "smaller file or split it",
    },
    "error.file.encrypted": {
        "zh-CN": "压缩包“{name}”中的“{member}”已加密；请上传不带密码的压缩包",
        "en": "'{name}': member '{member}' is encrypted; send the archive without a password",
    },
    "error.file.member_outside": {
        "zh-CN": "压缩包“{name}”中的“{member}”指向压缩包之外（路径或链接）；请在文件所在文件夹中重新压缩这些文件",
        "en": "'{name}': member '{member}' points outside the archive (a path or a link); zip the files again from "
              "their folder",
    },
    "error.file.not_compressed": {
        "zh-CN": "文件“{name}”不是 gzip、bzip2 或 xz 压缩文件；请检查文件",
        "en": "file '{name}' is not gzip, bzip2 or xz compressed; check the file",
    },
    "error.file.xml_refused": {
        "zh-CN": "文件“{name}”的 XML 声明了实体或引用了外部 DTD/实体（可被用于攻击），已拒收；请重新导出该文件",
        "en": "file '{name}': its XML declares entities or refers to an external DTD or entity (a known attack); "
              "refused; export the file again",
    },
    "error.file.xml_empty": {
        "zh-CN": "文件“{name}”没有根元素（空的或被截断的 XML 文件）；请重新导出",
        "en": "file '{name}' has no root element (an empty or cut-off XML file); export it again",
    },
    "error.file.not_xml": {
        "zh-CN": "文件“{name}”不是格式正确的 XML（{reason}）；请确认文件无误，或重新导出",
        "en": "file '{name}' is not well-formed XML ({reason}); check that it is the right file or export it again",
    },
    "error.file.name_climbs": {
        "zh-CN": "文件名“{name}”含有 '..'（跳出所在文件夹的路径）；请只以文件名本身上传",
        "en": "file name '{name}' contains '..' (a path that climbs out of its folder); send the file by its name only",
    },
    "error.crs.layer_differs": {
        "zh-CN": "图层“{layer}”的坐标系 {crs} 与工作坐标系 {working} 不同；请选择正确的文件坐标系后重新导入",
        "en": "layer '{layer}' is in {crs}, not the working CRS {working}; choose the file's right coordinate system "
              "and import it again",
    },
    "error.import.report_unwritable": {
        "zh-CN": "无法写出拒收报告“{name}”；请检查工作区所在文件夹的权限",
        "en": "cannot write the rejection report '{name}'; check the permissions of the workspace's folder",
    },

    # -- rejected rows of an import (geo.tables.prepare_rows: the reason_code of each rejected row) -------
    "error.row.no_point": {
        "zh-CN": "没有几何；请给出该行的点位，或删除该行",
        "en": "no geometry; give the row its point or drop the row",
    },
    "error.row.not_point": {
        "zh-CN": "不是点（是 {type}）；点图层每行需要一个点",
        "en": "not a point (a {type}); a point layer needs one point a row",
    },
    "error.row.coordinate_missing": {
        "zh-CN": "缺少坐标；请填上或删除该行",
        "en": "coordinate missing; fill it in or drop the row",
    },
    "error.row.coordinate_not_number": {
        "zh-CN": "坐标不是数字；请改正该值",
        "en": "the coordinate is not a number; correct the value",
    },
    "error.row.swapped": {
        "zh-CN": "经度和纬度似乎写反了；请交换这两个值（或交换字段对应）",
        "en": "longitude and latitude look swapped; swap the two values (or the column mapping)",
    },
    "error.row.not_degrees": {
        "zh-CN": "不是以度为单位的经纬度；如果是米制坐标，请为该文件选择对应的投影坐标系（EPSG:NNNN）",
        "en": "not a longitude/latitude in degrees; if these are metres, choose the file's projected coordinate "
              "system (EPSG:NNNN)",
    },
    "error.row.outside_boundary": {
        "zh-CN": "位于工作区边界外 {distance} 米（容差 {tolerance} 米）；请检查该文件的坐标系，或删除该行",
        "en": "outside the workspace boundary by {distance} m (tolerance {tolerance} m); check the file's coordinate "
              "system or drop the row",
    },
    "error.row.time_missing": {
        "zh-CN": "缺少时间；请填上（例如 2025-03-01 20:15）",
        "en": "time missing; fill it in (e.g. 2025-03-01 20:15)",
    },
    "error.row.time_bad": {
        "zh-CN": "无法识别时间；请写成 2025-03-01 20:15、2025年3月1日 20:15 或 ISO 8601",
        "en": "time not understood; write 2025-03-01 20:15, 2025年3月1日 20:15 or ISO 8601",
    },
    "error.row.unit_missing": {
        "zh-CN": "缺少巡逻单位编号；请填上（例如 U0001）",
        "en": "unit missing; fill it in (e.g. U0001)",
    },
    "error.row.date_parts": {
        "zh-CN": "年、月、日缺失或无效；请改正",
        "en": "date parts (year, month, day) missing or invalid; correct them",
    },
    "error.row.unknown_category": {
        "zh-CN": "无法识别的案件类别；请在文件中改为已知类别，或将其对应到类别代码，例如 原类别=burglary（代码：{codes}）；"
                 "本地特有的类别请先在“数据”页或用 patrolnet categories add 添加",
        "en": "unknown category; correct it in the file or map it to a category code, e.g. 原类别=burglary "
              "(codes: {codes}); add a category of your own first on the data page or with patrolnet categories add",
    },
    "error.row.unknown_camera_kind": {
        "zh-CN": "无法识别的摄像头类型；请使用以下之一：{kinds}",
        "en": "unknown camera kind; use one of {kinds}",
    },
    "error.row.unknown_unit_kind": {
        "zh-CN": "无法识别的巡逻力量类型；请使用以下之一：{kinds}",
        "en": "unknown unit kind; use one of {kinds}",
    },
    "error.row.unknown_neighborhood_kind": {
        "zh-CN": "无法识别的小区类型；请使用以下之一：{kinds}",
        "en": "unknown neighborhood kind; use one of {kinds}",
    },
    "error.row.not_count": {
        "zh-CN": "不是大于等于 0 的整数；请改正",
        "en": "not a whole number >= 0; correct it",
    },
    "error.row.name_missing": {
        "zh-CN": "缺少名称；请填上",
        "en": "name missing; fill it in",
    },
    "error.row.duplicate_id": {
        "zh-CN": "与第 {first} 行编号重复；保留第一条",
        "en": "duplicate of row {first}; the first is kept",
    },
    "error.row.duplicate_row": {
        "zh-CN": "与第 {first} 行的每一列都相同；保留第一条（如果两条都真实存在，请给每行一个编号）",
        "en": "identical in every column to row {first}; the first is kept (if both are real, give each row its own id)",
    },
    "error.row.already_in_workspace": {
        "zh-CN": "工作区中已有该编号；如需重新导入，请选择替换图层",
        "en": "already in the workspace; replace the layer to load it again",
    },
    "error.row.no_geometry": {
        "zh-CN": "没有几何；请补上该行的形状，或删除该行",
        "en": "no geometry; give the row its shape or drop the row",
    },
    "error.row.not_polygon": {
        "zh-CN": "不是多边形（是 {type}）；面图层每行需要一个多边形",
        "en": "not a polygon (a {type}); a polygon layer needs a polygon a row",
    },
    "error.row.polygon_not_degrees": {
        "zh-CN": "文件声明坐标系为 {crs}，但坐标不是经纬度（是投影坐标系的米？）；请在文件中设置正确的坐标系，或重新投影",
        "en": "coordinates are not degrees although the file says {crs} (metres of a projected system?); set the "
              "file's coordinate system, or reproject it",
    },
    # -- geometries repaired or refused (geo.repair.repair_geometries: the reason_code of each problem) --
    "error.repair.missing": {
        "zh-CN": "没有几何；请补上该行的坐标，或删除该行",
        "en": "no geometry; give the row its coordinates or drop it",
    },
    "error.repair.empty": {
        "zh-CN": "几何为空；请补上该行的坐标，或删除该行",
        "en": "empty geometry; give the row its coordinates or drop it",
    },
    "error.repair.non_finite": {
        "zh-CN": "坐标不是有限数（NaN 或无穷大）；请改正坐标，或删除该行",
        "en": "non-finite coordinates (NaN or infinity); fix the coordinates or drop the row",
    },
    "error.repair.one_point": {
        "zh-CN": "只含一个点的 {type} 已按点处理",
        "en": "{type} with one point taken as a point",
    },
    "error.repair.kept_polygon_parts": {
        "zh-CN": "{type}：保留其中的多边形部分，去掉 {n} 个其他部分",
        "en": "{type}: kept its polygon part(s), dropped {n} other part(s)",
    },
    "error.repair.kept_linestring_parts": {
        "zh-CN": "{type}：保留其中的线部分，去掉 {n} 个其他部分",
        "en": "{type}: kept its line part(s), dropped {n} other part(s)",
    },
    "error.repair.type_polygon": {
        "zh-CN": "几何类型为 {type}，此处需要多边形；请画成多边形（QGIS：多边形化），或放入点或线图层",
        "en": "geometry type {type} where a polygon is expected; draw it as a polygon (in QGIS: Polygonize) or put "
              "it in a point or line layer",
    },
    "error.repair.type_linestring": {
        "zh-CN": "几何类型为 {type}，此处需要线；请给出线（道路中心线），不要点或面",
        "en": "geometry type {type} where a line is expected; give lines (road centre lines), not points or areas",
    },
    "error.repair.type_point": {
        "zh-CN": "几何类型为 {type}，此处需要点；每行给一个点（如指区域，可用其中心点）",
        "en": "geometry type {type} where a point is expected; give one point a row (the centroid of an area if that "
              "is meant)",
    },
    "error.repair.degrees": {
        "zh-CN": "坐标（{x}, {y}）像是经纬度，而不是 {crs} 的米；请为该文件选择 WGS84（或 GCJ-02/BD-09 等正确的坐标系）",
        "en": "coordinates ({x}, {y}) look like longitude/latitude in degrees, not metres of {crs}; choose WGS84 "
              "(or GCJ-02/BD-09, the right coordinate system) for this file",
    },
    "error.repair.far_outside_crs": {
        "zh-CN": "坐标（{x}, {y}）远在 {crs} 的适用范围之外；请为该文件选择正确的坐标系（X 前面是否多了带号？）",
        "en": "coordinates ({x}, {y}) lie far outside the area where {crs} is used; choose the file's right "
              "coordinate system (a zone number in front of X?)",
    },
    "error.repair.not_degrees": {
        "zh-CN": "坐标（{x}, {y}）不是 {crs} 的经纬度（是投影坐标系的米？）；请为该文件选择对应的投影坐标系（EPSG:NNNN）",
        "en": "coordinates ({x}, {y}) are not degrees of {crs} (metres of a projected system?); choose the file's "
              "projected coordinate system (EPSG:NNNN)",
    },
    "error.repair.duplicate_vertices": {
        "zh-CN": "去掉了 {n} 个重复顶点",
        "en": "{n} duplicate vertice(s) removed",
    },
    "error.repair.made_valid_polygon": {
        "zh-CN": "无效几何（{why}）已自动修复，保留多边形部分",
        "en": "invalid geometry ({why}) repaired; kept the polygon part",
    },
    "error.repair.made_valid_linestring": {
        "zh-CN": "无效几何（{why}）已自动修复，保留线部分",
        "en": "invalid geometry ({why}) repaired; kept the line part",
    },
    "error.repair.zero_area": {
        "zh-CN": "面积为零的多边形（碎片，或画成多边形的线），修复后不剩任何部分；请重新绘制或删除该行",
        "en": "zero-area polygon (a sliver, or a line drawn as a polygon); nothing is left after repair; redraw it "
              "or drop the row",
    },
    "error.repair.zero_length": {
        "zh-CN": "长度为零的线，修复后不剩任何部分；请重新绘制或删除该行",
        "en": "zero-length line; nothing is left after repair; redraw it or drop the row",
    },
    "error.repair.slivers": {
        "zh-CN": "去掉了 {n} 个不超过 {floor} {unit} 的碎片",
        "en": "dropped {n} sliver part(s) of at most {floor} {unit}",
    },
    "error.repair.unrepairable": {
        "zh-CN": "无效几何无法修复；请重新绘制或删除该行",
        "en": "invalid geometry that could not be repaired; redraw it or drop the row",
    },
    "error.repair.outside_district": {
        "zh-CN": "位于辖区边界外 {distance} 米（容差 {tolerance} 米）；请检查该文件的坐标系，或删除该行",
        "en": "outside the district boundary by {distance} m (tolerance {tolerance} m); check the file's coordinate "
              "system or drop the row",
    },
    # -- a workspace layer damaged outside patrolnet (app.storage.workspace, GeometryWarning) ---------
    "error.workspace.geometry_repaired": {
        "zh-CN": "工作区“{path}”的图层“{layer}”：{invalid} 个无效几何已修复（{invalid_rows}）。文件未改动："
                 "请在 QGIS 中修复该图层（矢量 > 几何工具 > 修复几何），或替换图层重新导入",
        "en": "workspace '{path}', layer '{layer}': {invalid} invalid geometries repaired ({invalid_rows}). The file "
              "is unchanged: fix the layer in QGIS (Vector > Geometry Tools > Fix Geometries) or import it again, "
              "replacing the layer",
    },
    "error.workspace.geometry_skipped": {
        "zh-CN": "工作区“{path}”的图层“{layer}”：{missing} 行没有可用的几何，已跳过（{missing_rows}）。文件未改动："
                 "请在 QGIS 中修复该图层（矢量 > 几何工具 > 修复几何），或替换图层重新导入",
        "en": "workspace '{path}', layer '{layer}': {missing} row(s) without a usable geometry skipped "
              "({missing_rows}). The file is unchanged: fix the layer in QGIS (Vector > Geometry Tools > Fix "
              "Geometries) or import it again, replacing the layer",
    },
    "error.workspace.geometry_repaired_skipped": {
        "zh-CN": "工作区“{path}”的图层“{layer}”：{invalid} 个无效几何已修复（{invalid_rows}）；{missing} 行没有可用的"
                 "几何，已跳过（{missing_rows}）。文件未改动：请在 QGIS 中修复该图层（矢量 > 几何工具 > 修复几何），"
                 "或替换图层重新导入",
        "en": "workspace '{path}', layer '{layer}': {invalid} invalid geometries repaired ({invalid_rows}); {missing} "
              "row(s) without a usable geometry skipped ({missing_rows}). The file is unchanged: fix the layer in "
              "QGIS (Vector > Geometry Tools > Fix Geometries) or import it again, replacing the layer",
    },
}
