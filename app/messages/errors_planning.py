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
    # -- responsibility split (routing.split) ---------------------------------------------------------
    "error.split.beats": {
        "zh-CN": "特巡警巡区数 {value} 无效；请给出不小于 1 的整数",
        "en": "{value} brigade beats is not possible; give a whole number of 1 or more",
    },
    "error.split.no_vehicles": {
        "zh-CN": "要划分多少个特巡警巡区？巡逻力量图层中没有特巡警车辆；请给出巡区数，或先导入特巡警车辆",
        "en": "how many brigade beats? The units layer has no brigade vehicles; give the number of beats or import "
              "the vehicles first",
    },
    "error.split.no_households": {
        "zh-CN": "小区图层没有户数（households）列；请补上该列，或改为按面积均衡",
        "en": "the neighborhoods have no households column; add it or balance by area",
    },
    "error.split.teams": {
        "zh-CN": "派出所 {station} 的巡逻组数 {value} 无效；请给出不小于 1 的整数",
        "en": "station {station}: {value} teams is not possible; give a whole number of 1 or more",
    },
    "error.split.negative_households": {
        "zh-CN": "小区 {id} 的户数为负数（{value}）；请修正该行后重新导入",
        "en": "neighborhood {id} has a negative number of households ({value}); fix the row and import it again",
    },
    "error.split.station_ids": {
        "zh-CN": "派出所辖区图层中的派出所编号（station_id）有重复；请使其唯一",
        "en": "the stations' ids (station_id) repeat; make them unique",
    },
    "error.split.no_site": {
        "zh-CN": "派出所 {stations} 没有驻地位置；请给出驻地坐标或辖区多边形",
        "en": "station(s) {stations} have no site; give the site's coordinates or a jurisdiction polygon",
    },
    "error.split.no_stations": {
        "zh-CN": "没有派出所辖区，但路网中有需要派出所负责的街巷；请先导入派出所辖区",
        "en": "there are no stations, but the road network has local streets that need a station; import the stations first",
    },
    "error.split.disconnected": {
        "zh-CN": "{what}：路网分成了 {parts} 个互不相连的部分，但只要求 {k} 个巡区；每个巡区必须连通，请至少划分 {parts} 个巡区，或检查主干道分类",
        "en": "{what}: the network falls apart into {parts} separate parts, but only {k} beats were asked for; every "
              "beat must be connected, so ask for at least {parts} beats, or check the main-road classes",
    },
    # -- patrol routes and shifts (routing.patrol, routing.postman, routing.export) -------------------
    "error.routes.out_file": {
        "zh-CN": "无法从“{name}”判断路线文件格式；请使用 .geojson、.gpx、.kml、.html、.csv 或 .zip（按巡逻单元分开）文件名",
        "en": "cannot tell the route file format from '{name}'; use a .geojson, .gpx, .kml, .html, .csv or .zip "
              "(per unit) file name",
    },
    "error.routes.unit_format": {
        "zh-CN": "巡逻单元的文件只有 {formats} 几种，没有“{value}”",
        "en": "a unit's file is one of {formats}, not '{value}'",
    },
    "error.routes.unit_zip": {
        "zh-CN": "“{name}”中没有各巡逻单元的文件：单个单元的文件请从该计划的 .zip 中取",
        "en": "'{name}' holds no unit files: ask the plan's .zip for one unit's file",
    },
    "error.routes.no_unit": {
        "zh-CN": "该计划中没有巡逻单元“{unit}”（计划中的单元有 {units} 等）",
        "en": "the plan holds no unit '{unit}' (it holds {units} …)",
    },
    "error.routes.shift_clock": {
        "zh-CN": "班次“{value}”无效：小时为 00–24，分钟为 00–59",
        "en": "shift '{value}' is not valid: hours run 00 to 24 and minutes 00 to 59",
    },
    "error.routes.shift_order": {
        "zh-CN": "班次的结束时间（{end}）早于开始时间（{start}）",
        "en": "the shift ends ({end}) before it starts ({start})",
    },
    "error.routes.budget_over_shift": {
        "zh-CN": "巡逻时长 {budget} 分钟超过了班次长度（{shift} 分钟）",
        "en": "a patrol of {budget} min is longer than the shift ({shift} min)",
    },
    "error.routes.no_beats": {
        "zh-CN": "没有特巡警巡区：没有主干道路段划入巡区；请先划分责任区",
        "en": "there are no brigade beats: no main-road edge is assigned to a beat; run the responsibility split first",
    },
    "error.routes.beat_too_long": {
        "zh-CN": "巡区 {beat}：{k} 辆车巡完其主干道每车需要 {need} 分钟（{km} 公里），但班次只有 {shift} 分钟；请为该巡区增加车辆或延长班次",
        "en": "beat {beat}: covering its main roads takes {need} min per vehicle ({km} km) with {k} vehicle(s), but the "
              "shift is {shift} min; add vehicles to the beat or lengthen the shift",
    },
    "error.routes.one_way_apart": {
        "zh-CN": "单行道把需要巡逻的道路分隔在路网中互不可达的部分；请检查路网（单行道、断路）",
        "en": "one-way streets keep the roads to patrol in parts of the network that cannot reach each other; check "
              "the road network (one-way streets, cuts)",
    },
    "error.routes.unreachable": {
        "zh-CN": "{n} 条需要巡逻的路段与出发点不连通（单行道或断路）：{shown}；请将它们移出巡区，或补上缺失的道路",
        "en": "{n} road(s) to patrol cannot be reached from the start and back (one-way streets or a cut network): "
              "{shown}; drop them from the beat or add the missing roads",
    },
    "error.routes.missing_nodes": {
        "zh-CN": "道路图层中有 {n} 条路段引用了不存在的路网节点（第一条：{edge}）；请重新导入路网",
        "en": "{n} road edge(s) reference road nodes that do not exist (first: edge {edge}); import the road network again",
    },
    "error.split.fragments": {
        "zh-CN": "{what}：有 {n} 个路网碎片无法并入任何较大的部分；请检查路网的连通性",
        "en": "{what}: {n} fragment(s) of the network could not be joined to any larger part; check that the roads connect",
    },
    "error.split.weights": {
        "zh-CN": "有 {n} 个路段权重为负数或无效（第一个：路段 {edge} = {value}）；权重是不小于 0 的风险倍数",
        "en": "{n} road weight(s) are negative or not finite (first: edge {edge} = {value}); weights are risk "
              "multipliers of 0 or more",
    },
    # -- records of outputs and the plan review (app.storage.records, app.services.plans) ------------
    "error.records.bad_kind": {
        "zh-CN": "“{value}”类成果不做记录；可记录的有：{allowed}",
        "en": "kind '{value}' is not recorded; recorded kinds: {allowed}",
    },
    "error.records.bad_action": {
        "zh-CN": "操作“{value}”无效：只能提交或批准",
        "en": "action '{value}' is not valid: a plan is submitted or approved",
    },
    "error.records.not_found": {
        "zh-CN": "没有编号为“{id}”的记录；请从列表中选择",
        "en": "no record '{id}'; pick one from the list",
    },
    "error.records.not_a_plan": {
        "zh-CN": "记录 {id} 是{kind}，不是巡逻方案；只有巡逻方案需要提交和批准",
        "en": "record {id} is a {kind}, not a shift plan; only plans are submitted and approved",
    },
    "error.records.cannot_submit": {
        "zh-CN": "方案 {id} 当前状态为“{status}”，只有草稿可以提交",
        "en": "plan {id} is {status}; only a draft can be submitted",
    },
    "error.records.cannot_approve": {
        "zh-CN": "方案 {id} 当前状态为“{status}”，只有草稿或已提交的方案可以批准",
        "en": "plan {id} is {status}; only a draft or a submitted plan can be approved",
    },
    "error.records.other_station": {
        "zh-CN": "方案 {id} 属于其他派出所（{station}）；只能提交本所的方案",
        "en": "plan {id} belongs to another station ({station}); a station submits its own plans",
    },
    "error.records.may_not_approve": {
        "zh-CN": "无权限：{role}角色不能批准巡逻方案（由指挥长批准）",
        "en": "not allowed: {role} users do not approve plans (a commander does)",
    },
    "error.records.no_file": {
        "zh-CN": "记录 {id} 没有文件“{name}”；可下载的文件：{files}",
        "en": "record {id} has no file '{name}'; its files: {files}",
    },
    "error.storage.records_unreadable": {
        "zh-CN": "无法打开成果记录库（{reason}）；请检查工作区所在文件夹的权限",
        "en": "cannot open the records ({reason}); check the permissions of the workspace's folder",
    },
    # -- fanning planning out over processes (app.services.fanout) ----------------------------------
    "error.param.dask": {
        "zh-CN": "无法识别 Dask 地址“{value}”：请填写正在运行的 Dask 调度器地址 tcp://主机:端口（默认端口 8786），"
                 "或 local:N 在本机启动 N 个工作进程（1 到 {max}），或 fork:N 由本进程复制出 N 个进程（Linux、macOS），"
                 "或不填写以在本进程内规划",
        "en": "Dask address '{value}' is not understood: give tcp://HOST:PORT of a running Dask scheduler (port 8786 "
              "by default), local:N for N worker processes on this machine (1 to {max}), fork:N for N processes "
              "forked from this one (Linux, macOS), or leave it out to plan in this process",
    },
    "error.dask.unreachable": {
        "zh-CN": "{seconds} 秒内无法连接 Dask 调度器 {address}；请在该主机上启动调度器和工作进程"
                 "（dask scheduler、dask worker {address}），或改正地址，或改用 local:N 在本机用 N 个进程规划",
        "en": "cannot reach the Dask scheduler at {address} within {seconds} s; start one there (dask scheduler, "
              "dask worker {address}), fix the address, or use local:N to plan with N processes on this machine",
    },
    "error.dask.no_workers": {
        "zh-CN": "Dask 调度器 {address} 在 {seconds} 秒后仍没有工作进程；请在该主机上启动 dask worker {address}，"
                 "或改用 local:N 在本机用 N 个进程规划",
        "en": "the Dask scheduler at {address} has no workers after {seconds} s; start some (dask worker {address}) "
              "or use local:N to plan with N processes on this machine",
    },
}
