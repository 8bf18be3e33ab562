"""The stages of long work, as the core reports them (``progress(stage, fraction)`` with an English
word), under ``stage.<word>`` (:func:`app.i18n.stage_key`: lower case, runs of other characters as
``_``). The web pages and the command line show them in the user's language."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # the web's job runner
    "stage.queued_for_the_workspace": {"zh-CN": "等待写入工作区", "en": "queued for the workspace"},
    # import (app.services.imports) and every job that writes layers
    "stage.read": {"zh-CN": "读取文件", "en": "read"},
    "stage.check_rows": {"zh-CN": "检查各行", "en": "check rows"},
    "stage.place_incidents": {"zh-CN": "落位警情", "en": "place incidents"},
    "stage.write_workspace": {"zh-CN": "写入工作区", "en": "write workspace"},
    "stage.field_week": {"zh-CN": "模拟一周巡逻轨迹", "en": "simulate a week of patrol tracks"},
    # the lived-in demo (app.services.demo_day)
    "stage.camera_gaps": {"zh-CN": "列出探头盲区", "en": "camera gaps"},
    "stage.tonight_s_plan": {"zh-CN": "规划今晚班次", "en": "tonight's plan"},
    "stage.lived_in": {"zh-CN": "演示区已就绪", "en": "lived-in"},
    "stage.write": {"zh-CN": "写出文件", "en": "write"},
    "stage.categories": {"zh-CN": "更新警情类别", "en": "categories"},
    # sub-zone grid (geo.subzones)
    "stage.blocks": {"zh-CN": "划分街区", "en": "blocks"},
    "stage.split": {"zh-CN": "切分", "en": "split"},
    "stage.merge": {"zh-CN": "合并", "en": "merge"},
    "stage.dissolve": {"zh-CN": "融合", "en": "dissolve"},
    # hot spots
    "stage.density": {"zh-CN": "核密度", "en": "density"},
    "stage.gi_sub_zones": {"zh-CN": "Gi* 小片区", "en": "Gi* sub-zones"},
    "stage.gi_streets": {"zh-CN": "Gi* 路段", "en": "Gi* streets"},
    "stage.near_repeats": {"zh-CN": "近重复分析", "en": "near repeats"},
    # forecasts, reports, cameras, routes
    "stage.forecast": {"zh-CN": "风险预测", "en": "forecast"},
    "stage.backtest": {"zh-CN": "回测", "en": "backtest"},
    "stage.report": {"zh-CN": "生成报表", "en": "report"},
    "stage.gaps": {"zh-CN": "探头盲区", "en": "gaps"},
    "stage.siting": {"zh-CN": "探头选址", "en": "siting"},
    "stage.road_graph": {"zh-CN": "路网", "en": "road graph"},
    "stage.plan": {"zh-CN": "规划路线", "en": "plan"},
    # road network from OpenStreetMap (geo.osm)
    "stage.checking_file": {"zh-CN": "检查文件", "en": "checking file"},
    "stage.reading": {"zh-CN": "读取", "en": "reading"},
    "stage.building_graph": {"zh-CN": "构建路网", "en": "building graph"},
    "stage.projecting": {"zh-CN": "投影转换", "en": "projecting"},
    "stage.clipping": {"zh-CN": "裁剪", "en": "clipping"},
    "stage.statistics": {"zh-CN": "统计", "en": "statistics"},
    "stage.done": {"zh-CN": "完成", "en": "done"},
    # the demo district (geo.demo)
    "stage.boundary": {"zh-CN": "辖区边界", "en": "boundary"},
    "stage.roads": {"zh-CN": "道路", "en": "roads"},
    "stage.areas": {"zh-CN": "辖区与小区", "en": "areas"},
    "stage.layers": {"zh-CN": "图层", "en": "layers"},
    "stage.incidents": {"zh-CN": "警情", "en": "incidents"},
    "stage.assemble": {"zh-CN": "汇总", "en": "assemble"},
}
