"""Errors of the analyses: the monthly and weekly reports, hot spots, forecasts and back-tests, the
demo district, report rendering and coordinate systems (``error.<code>``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # -- report months, weeks and days (geo.reports) --------------------------------------------------
    "error.report.station_required": {
        "zh-CN": "请选择报告的派出所：station_id=S01",
        "en": "choose the station of the report: station_id=S01",
    },
    "error.report.bad_month": {
        "zh-CN": "“{value}”不是月份；请写成 YYYY-MM，例如 2026-09",
        "en": "'{value}' is not a month; write it as YYYY-MM, for example 2026-09",
    },
    "error.report.bad_date": {
        "zh-CN": "{what}“{value}”不是日期；请写成 YYYY-MM-DD，例如 2026-10-19",
        "en": "{what} '{value}' is not a date; write it as YYYY-MM-DD, for example 2026-10-19",
    },
    "error.report.bad_week": {
        "zh-CN": "“{value}”不是有效的 ISO 周；请写成 YYYY-Www，例如 2026-W43",
        "en": "'{value}' is not an ISO week; write it as YYYY-Www, for example 2026-W43",
    },
    "error.report.month_after_data": {
        "zh-CN": "{month} 月晚于数据的最后一天（{as_of}）；请选择 {last} 或更早的月份",
        "en": "month {month} starts after the last day of data ({as_of}); choose {last} or an earlier month",
    },
    "error.report.week_after_data": {
        "zh-CN": "{first} 至 {last} 这一周晚于数据的最后一天（{as_of}）；请选择更早的一周（默认为最近的完整一周，{default} 起）",
        "en": "the week {first}..{last} ends after the last day of data ({as_of}); choose an earlier week "
              "(the default is the last full week, from {default})",
    },
    "error.report.bad_half": {
        "zh-CN": "“{value}”不是半年度；请写成 YYYY-H1（上半年）或 YYYY-H2（下半年），例如 2026-H1，也可写 2026年上半年",
        "en": "'{value}' is not a half-year; write it as YYYY-H1 or YYYY-H2, for example 2026-H1",
    },
    "error.report.half_after_data": {
        "zh-CN": "{half} 晚于数据的最后一天（{as_of}）；请选择更早的半年度",
        "en": "half-year {half} starts after the last day of data ({as_of}); choose an earlier one",
    },
    "error.param.report_period": {
        "zh-CN": "请给出月份 YYYY-MM（月度报告）或半年度 YYYY-H1 / YYYY-H2（派出所半年报告），二者选一",
        "en": "give either a month, YYYY-MM (the monthly report), or a half-year, YYYY-H1 / YYYY-H2 (the half-year "
              "station report)",
    },
    "error.report.no_layer": {
        "zh-CN": "报表需要“{layer}”图层；请先在“数据导入”页导入该图层",
        "en": "the report needs the '{layer}' layer; import it on the Data page first",
    },
    "error.report.unknown_categories": {
        "zh-CN": "警情含未知类别代码 {codes}；可用代码：{known}（导入时请映射类别）",
        "en": "incidents have unknown category code(s) {codes}; use one of {known} (map them when importing)",
    },
    "error.report.bad_place_kind": {
        "zh-CN": "警情的发案场所类型 {values} 无效；应为 street（街面）或 neighborhood（小区）",
        "en": "incidents: place kind {values} is not valid; use 'street' or 'neighborhood'",
    },
    "error.report.bad_times": {
        "zh-CN": "警情的发案时间无法识别（{reason}）；请使用带时区的 ISO 8601 时间，例如 2025-03-01T20:15:00+08:00",
        "en": "incident times cannot be read ({reason}); use ISO 8601 with an offset, e.g. 2025-03-01T20:15:00+08:00",
    },
    "error.report.empty_times": {
        "zh-CN": "{n} 条警情没有发案时间（第一条：{first}）；请补全或删除后重新导入",
        "en": "{n} incident(s) have no time (first: {first}); fill them in or drop them and import again",
    },
    "error.report.bulletin_limits": {
        "zh-CN": "周报参数无效：距离须不小于 0，条数须不小于 1，提示数须不小于 0",
        "en": "bulletin settings are not valid: distances must be >= 0, lines >= 1 and tips >= 0",
    },
    "error.report.no_table": {
        "zh-CN": "报表中没有表“{table}”；可用的表：{tables}",
        "en": "the report has no table '{table}'; tables: {tables}",
    },
    "error.report.no_row": {
        "zh-CN": "表“{table}”中没有第 {row} 行；行号范围为 {first} 至 {last}",
        "en": "table '{table}' has no row {row}; rows are {first}..{last}",
    },
    "error.report.not_a_count": {
        "zh-CN": "表“{table}”的列“{column}”不是计数，无法追溯警情；可追溯的列：{columns}",
        "en": "column '{column}' of table '{table}' is not a count; traceable columns: {columns}",
    },
    # -- parameters shared by the analyses ------------------------------------------------------------
    "error.param.alpha": {
        "zh-CN": "显著性水平 {value} 无效；请取 0 到 1 之间的数，例如 0.05",
        "en": "significance level {value} is not valid; give a number between 0 and 1, e.g. 0.05",
    },
    "error.param.categories": {
        "zh-CN": "未知的警情类别代码 {codes}；可用代码：{known}",
        "en": "unknown category code(s) {codes}; use one of {known}",
    },
    "error.param.measure": {
        "zh-CN": "统计口径“{value}”无效；可选：{known}",
        "en": "measure '{value}' is not known; use one of {known}",
    },
    "error.param.level": {
        "zh-CN": "统计层级“{value}”无效；可选：{known}",
        "en": "level '{value}' is not known; use one of {known}",
    },
    "error.param.controlled_share": {
        "zh-CN": "要求的降幅 {value} 无效；请取 0 到 1 之间的比例（含 1），例如 0.5 表示 50%",
        "en": "required fall {value} is not valid; give a share in (0, 1], e.g. 0.5 for 50 %",
    },
    # -- layers ---------------------------------------------------------------------------------------
    "error.layer.missing_columns": {
        "zh-CN": "图层“{layer}”缺少列 {columns}；请补上这些列后重新导入",
        "en": "layer '{layer}' lacks the column(s) {columns}; add them and import it again",
    },
    "error.param.at_least": {
        "zh-CN": "参数 {name} 为 {value}，须不小于 {min}",
        "en": "{name} is {value}; it must be at least {min}",
    },
    "error.param.positive": {
        "zh-CN": "参数 {name} 为 {value}，须为正数",
        "en": "{name} is {value}; it must be a positive number",
    },
    "error.param.metres": {
        "zh-CN": "参数 {name} 为 {value}，须为正的米数",
        "en": "{name} is {value}; it must be a positive number of metres",
    },
    "error.param.fraction": {
        "zh-CN": "参数 {name} 为 {value}，须在 0 到 1 之间",
        "en": "{name} is {value}; it must be between 0 and 1",
    },
    "error.param.choice": {
        "zh-CN": "参数 {name} 的值“{value}”无效；可选：{known}",
        "en": "{name} '{value}' is not known; use one of {known}",
    },
    "error.param.lang": {
        "zh-CN": "语言“{value}”不受支持；请选择中文（zh-CN）或英文（en）",
        "en": "language '{value}' is not supported; choose Chinese (zh-CN) or English (en)",
    },
    "error.param.formats": {
        "zh-CN": "未知的文件格式 {value}；可选：{known}",
        "en": "unknown file format(s) {value}; use any of {known}",
    },
    "error.grid.too_large": {
        "zh-CN": "{rows} × {cols} 个 {cell} 米的格网过大；请选择更大的格网边长",
        "en": "a {rows} x {cols} grid of {cell} m cells is too large; choose a larger cell size",
    },
    # -- points ---------------------------------------------------------------------------------------
    "error.points.bad_coordinates": {
        "zh-CN": "{what}中有 {n} 个点坐标缺失或无效（第一个在第 {first} 位）；请删除后重试",
        "en": "{what}: {n} point(s) have missing or infinite coordinates (first at position {first}); drop them first",
    },
    "error.points.not_points": {
        "zh-CN": "{what}的几何必须全部是点",
        "en": "{what}: every geometry must be a point",
    },
    # -- hot spots (geo.hotspots) ---------------------------------------------------------------------
    "error.hotspots.gi_values": {
        "zh-CN": "Gi* 统计需要有限的非负数值（计数或密度）",
        "en": "Gi* needs finite, non-negative values (counts or rates)",
    },
    "error.hotspots.times": {
        "zh-CN": "每个点都需要一个有效的发案时间",
        "en": "every point needs one valid time",
    },
    "error.hotspots.bands": {
        "zh-CN": "距离和时间分段必须递增，且各至少有两个边界值",
        "en": "distance and time bands must be increasing edges with at least two values each",
    },
    "error.hotspots.bounds": {
        "zh-CN": "范围 {value} 无效；应为以米为单位的（最小 x，最小 y，最大 x，最大 y），且最小值不大于最大值",
        "en": "bounds {value} are not valid; give (xmin, ymin, xmax, ymax) in metres with xmin <= xmax and ymin <= ymax",
    },
    "error.hotspots.weights": {
        "zh-CN": "权重必须是有限的非负数",
        "en": "weights must be finite and non-negative",
    },
    "error.hotspots.too_few_points": {
        "zh-CN": "警情点太少，无法自动选择带宽；请扩大日期范围或类别，或指定固定带宽",
        "en": "too few incidents to choose a bandwidth; choose a longer date range or more categories, or a fixed bandwidth",
    },
    "error.hotspots.points_coincide": {
        "zh-CN": "所有警情点位置相同，无法自动选择带宽；请指定固定带宽",
        "en": "all incidents lie at one place, so no bandwidth can be chosen; give a fixed bandwidth",
    },
    "error.hotspots.no_bandwidths": {
        "zh-CN": "没有候选带宽；请至少给出一个以米为单位的带宽",
        "en": "no candidate bandwidths; give at least one bandwidth in metres",
    },
    # -- forecasts and back-tests (geo.forecast) ------------------------------------------------------
    "error.forecast.method": {
        "zh-CN": "未知的预测方法 {value}；可选：{known}",
        "en": "unknown forecast method(s) {value}; use one of {known}",
    },
    "error.forecast.params": {
        "zh-CN": "预测方法 {method} 没有参数 {names}；可用参数：{known}",
        "en": "forecast method {method} has no parameter(s) {names}; known: {known}",
    },
    "error.forecast.whole_history": {
        "zh-CN": "预测方法 {method} 使用全部历史警情：请传入全部警情，不要给 first_at",
        "en": "forecast method {method} weighs the whole history: give all incidents, not first_at",
    },
    "error.forecast.labels": {
        "zh-CN": "预测方法的名称必须各不相同：{labels}",
        "en": "forecast method labels must be unique: {labels}",
    },
    "error.forecast.short_history": {
        "zh-CN": "自动选择预测方法需要 {as_of} 之前至少 {weeks} 周的警情数据（数据始于 {first}）；请直接指定一种方法",
        "en": "choosing a forecast method needs {weeks} weeks of incidents before {as_of} (the data start on {first}); "
              "give a method instead",
    },
    "error.forecast.none": {
        "zh-CN": "还没有按 {cells} 的风险预测（subzones 小片区、segments 路段、grid 网格）：请先更新风险预测",
        "en": "there is no forecast by {cells} yet: update the forecast first",
    },
    "error.param.retune": {
        "zh-CN": "重新调参的间隔和窗口须为不小于 1 的整周数，而不是 {every} 和 {window}",
        "en": "the re-tuning interval and window must be whole numbers of weeks >= 1, not {every} and {window}",
    },
    "error.forecast.weeks_after_data": {
        "zh-CN": "{year} 年第 {end} 周（至 {last}）晚于数据的最后一天（{as_of}）；请选择第 {latest} 周或更早的周，或不指定年份（第 52 周即为数据的最后一整周）",
        "en": "week {end} of {year} (to {last}) ends after the last day of data ({as_of}); choose week {latest} or "
              "earlier, or give no year (week 52 is then the data's last whole week)",
    },
    "error.forecast.weeks": {
        "zh-CN": "评估周 {start} 至 {end} 无效：起始周须不小于 2，且不晚于结束周",
        "en": "weeks {start} to {end} are not valid: the first week must be 2 or later and not after the last",
    },
    "error.forecast.coverages": {
        "zh-CN": "覆盖比例 {value} 无效：每个都须大于 0 且不大于 1",
        "en": "coverages {value} are not valid: each must be above 0 and at most 1",
    },
    "error.forecast.empty_area": {
        "zh-CN": "预测区域为空；请先导入辖区边界或派出所辖区",
        "en": "the forecast area is empty; import the district boundary or the station jurisdictions first",
    },
    "error.forecast.no_cells": {
        "zh-CN": "没有可预测的单元（格网、小片区或路段）",
        "en": "there are no places to forecast (grid cells, sub-zones or street segments)",
    },
    "error.forecast.tune_after_start": {
        "zh-CN": "调参周 {first} 至 {last} 晚于预测开始；请选择更早的调参周",
        "en": "tuning weeks {first} to {last} end after the forecast start; choose earlier tuning weeks",
    },
    "error.forecast.tune_weeks": {
        "zh-CN": "调参周 {first} 至 {last} 无效：须从第 2 周或之后开始（第 1 周没有历史数据）",
        "en": "tuning weeks {first} to {last} are not valid: start at week 2 or later (week 1 has no history)",
    },
    # -- the demo district (geo.demo) -----------------------------------------------------------------
    "error.demo.as_of": {
        "zh-CN": "截止日期 {as_of} 早于演示数据的第一天 {first}；请选择更晚的日期",
        "en": "the last day {as_of} is before the first incident day {first}; choose a later date",
    },
    "error.demo.window": {
        "zh-CN": "时间段 {start} 至 {end} 超出模拟期 {first} 至 {last}；请选择其中的日期",
        "en": "the period {start} to {end} lies outside the simulated period {first} to {last}; choose dates inside it",
    },
    # -- coordinate systems (geo.crs and the layers' checks) ------------------------------------------
    "error.crs.missing": {
        "zh-CN": "{what}没有坐标系；请为其设置以米为单位的投影坐标系",
        "en": "{what} has no coordinate system; give it a projected coordinate system in metres",
    },
    "error.crs.degrees": {
        "zh-CN": "{what}使用的是 {crs}（地理坐标系，单位为度）；距离和面积需要以米为单位的投影坐标系，请先转换到工作区的工作坐标系",
        "en": "{what} is in {crs} (geographic, degrees); distances and areas need a projected coordinate system "
              "in metres: convert it to the workspace's working CRS first",
    },
    "error.crs.mismatch": {
        "zh-CN": "{a}的坐标系为 {a_crs}，而{b}为 {b_crs}；请先转换到同一坐标系",
        "en": "{a} are in {a_crs} but {b} in {b_crs}; bring them into one coordinate system first",
    },
    "error.param.share": {
        "zh-CN": "参数 {name} 为 {value}，须为大于 0 且不大于 1 的比例",
        "en": "{name} is {value}; give a share above 0 and at most 1",
    },
}
