"""Errors of the plans: responsibility split, patrol routes and shifts, cameras (``error.<code>``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # -- cameras (geo.cameras, app.services.cameras) -------------------------------------------------
    "error.cameras.budget_needs_stations": {
        "zh-CN": "按派出所分配探头名额需要派出所辖区图层；请先导入派出所辖区，或不按派出所分配",
        "en": "a budget per station needs the police stations layer; import the stations first, or set no budget per station",
    },
    "error.cameras.no_gaps": {
        "zh-CN": "没有探头盲区：所给的每条街道、出入口和网格都已被看到",
        "en": "no camera gaps: every street, entrance and cell given is already seen",
    },
    "error.cameras.risk_value": {
        "zh-CN": "{what}的风险值“{value}”不是数字（第 {row} 行）",
        "en": "{what}: risk value '{value}' is not a number (row {row})",
    },
    "error.cameras.risk_negative": {
        "zh-CN": "{what}的风险值 {value} 为负数；风险须不小于 0",
        "en": "{what}: risk value {value} is negative; risk must be 0 or more",
    },
    "error.cameras.out_file": {
        "zh-CN": "无法写出“{name}”：请使用 .csv、.xlsx 或 .geojson 文件名",
        "en": "cannot write '{name}': use a .csv, .xlsx or .geojson file name",
    },
    "error.cameras.k": {
        "zh-CN": "新增探头数量 {value} 无效；请给出不小于 0 的整数",
        "en": "{value} new cameras is not possible; give a whole number of 0 or more",
    },
    "error.cameras.required_over_k": {
        "zh-CN": "无解：必选点位有 {required} 个，多于新增探头数量 {k}；请增加探头数量或减少必选点位",
        "en": "no solution: {required} sites are required but only {k} new cameras are asked for; ask for more cameras "
              "or require fewer sites",
    },
    "error.cameras.required_over_budget": {
        "zh-CN": "无解：必选点位超出了某个派出所的探头名额；请提高名额或减少必选点位",
        "en": "no solution: the required sites exceed a station's budget; raise the budget or require fewer sites",
    },
    "error.cameras.share_unreachable": {
        "zh-CN": "无解：现有候选点位和名额最多覆盖 {got}，达不到要求的 {share}；请降低覆盖比例或提高名额",
        "en": "no solution: the candidate sites and budgets reach {got}, not the {share} asked for; ask for a lower "
              "share or raise the budgets",
    },
    "error.cameras.budget_negative": {
        "zh-CN": "每个派出所的探头名额须不小于 0",
        "en": "the camera budget of each station must be 0 or more",
    },
    "error.cameras.arc_step": {
        "zh-CN": "弧线步长 {value} 度无效；请取 0.1 到 45 度之间",
        "en": "an arc step of {value} degrees is not valid; give a step between 0.1 and 45 degrees",
    },
    "error.cameras.fov": {
        "zh-CN": "探头第 {row} 行的视场角 {value} 无效；须大于 0 且不大于 360 度",
        "en": "camera row {row}: field of view {value} is not valid; it must be above 0 and at most 360 degrees",
    },
    "error.cameras.range": {
        "zh-CN": "探头第 {row} 行的可视距离 {value} 无效；须大于 0 米",
        "en": "camera row {row}: range {value} is not valid; it must be above 0 metres",
    },
    "error.cameras.bearing": {
        "zh-CN": "探头第 {row} 行缺少朝向（视场角小于 360 度时必须给出朝向）",
        "en": "camera row {row} has no bearing (a view narrower than 360 degrees needs one)",
    },
    "error.cameras.kind": {
        "zh-CN": "未知的探头类型 {kinds}（第 {row} 行）；可选：{known}",
        "en": "unknown camera kind(s) {kinds} (row {row}); use one of {known}",
    },
    "error.cameras.not_point": {
        "zh-CN": "探头第 {row} 行的几何为空或不是点",
        "en": "camera row {row} is empty or not a point",
    },
    # -- solvers ----------------------------------------------------------------------------------------
    "error.solver.failed": {
        "zh-CN": "求解器未找到解（{status}）；请放宽条件后重试",
        "en": "the solver found no solution ({status}); relax the limits and try again",
    },
    "error.solver.time_limit": {
        "zh-CN": "求解器在时间限制内未找到解；请放宽条件或延长求解时间",
        "en": "the solver found no solution within the time limit; relax the limits or give it more time",
    },
    "error.solver.no_cbc": {
        "zh-CN": "找不到 CBC 求解器；请改用 HiGHS 方法",
        "en": "no CBC solver found; use the HiGHS method",
    },
}
