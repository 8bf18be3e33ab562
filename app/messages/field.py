"""The field loop: tracks in, dosage measured (``dosage.*``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "error.dosage.no_plan": {
        "zh-CN": "{day} {shift} 没有已记录的巡逻方案：请先生成该班次的巡逻路线",
        "en": "no shift plan recorded for {day} {shift}: plan the shift's routes first",
    },
    "dosage.title": {"zh-CN": "{day} {shift} 巡逻落实情况（方案 {record}）", "en": "Patrol done {day} {shift} (plan {record})"},
    "dosage.tracks": {"zh-CN": "{n}/{m} 个巡逻单位有轨迹", "en": "{n} of {m} units have tracks"},
    "dosage.sheet.hotspots": {"zh-CN": "热点时长", "en": "hotspots"},
    "dosage.sheet.units": {"zh-CN": "路线与巡区", "en": "routes and beats"},
    "dosage.col.unit_id": {"zh-CN": "单位编号", "en": "unit_id"},
    "dosage.col.unit_name": {"zh-CN": "巡逻单位", "en": "unit"},
    "dosage.col.unit_kind": {"zh-CN": "类型", "en": "kind"},
    "dosage.col.hotspot": {"zh-CN": "热点", "en": "hotspot"},
    "dosage.col.place": {"zh-CN": "位置", "en": "place"},
    "dosage.col.planned_min": {"zh-CN": "计划分钟", "en": "planned_min"},
    "dosage.col.actual_min": {"zh-CN": "实际分钟", "en": "actual_min"},
    "dosage.col.share": {"zh-CN": "落实比例", "en": "share"},
    "dosage.col.visits": {"zh-CN": "到达次数", "en": "visits"},
    "dosage.col.longest_min": {"zh-CN": "最长停留分钟", "en": "longest_min"},
    "dosage.col.first_arrival": {"zh-CN": "首次到达", "en": "first_arrival"},
    "dosage.col.between_min": {"zh-CN": "两次到达间隔(分钟)", "en": "between_visits_min"},
    "dosage.col.pings": {"zh-CN": "定位点数", "en": "pings"},
    "dosage.col.gaps": {"zh-CN": "轨迹中断次数", "en": "gaps"},
    "dosage.col.bad_fixes": {"zh-CN": "异常定位点", "en": "bad_fixes"},
    "dosage.col.route_km": {"zh-CN": "计划路线(公里)", "en": "route_km"},
    "dosage.col.route_share": {"zh-CN": "路线走过比例", "en": "route_share"},
    "dosage.col.beat": {"zh-CN": "巡区", "en": "beat"},
    "dosage.col.beat_main_km": {"zh-CN": "巡区主干道(公里)", "en": "beat_main_km"},
    "dosage.col.beat_main_share": {"zh-CN": "主干道走过比例", "en": "beat_main_share"},
    "data.set": {"zh-CN": "整个文件统一赋值（列=值，如一部手机的轨迹：unit_id=U0001）",
                 "en": "One value for the whole file (COLUMN=VALUE, e.g. one phone's track: unit_id=U0001)"},
    "audit.action.dosage": {"zh-CN": "导出巡逻落实情况", "en": "Patrol dosage exported"},
}
