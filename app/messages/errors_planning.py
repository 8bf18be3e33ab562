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
}
