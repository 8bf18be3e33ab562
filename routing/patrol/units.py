"""Patrol units: the kinds the planner routes, their Chinese names, a unit record as plan fields."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_SHIFT_KINDS", "PLANNED_UNIT_KINDS", "UNIT_KIND_ZH"]

#: Unit kinds the shift planner gives routes to: every kind of the method.
PLANNED_UNIT_KINDS: tuple[str, ...] = ("brigade_vehicle", "grid_team", "station_team", "volunteer_team",
                                       "skynet_guard")
#: What a shift plans when no kinds are named: the brigade's vehicles and the "1+2+N" grid teams.
DEFAULT_SHIFT_KINDS: tuple[str, ...] = ("brigade_vehicle", "grid_team")
#: Unit kinds in Chinese (printable sheets).
UNIT_KIND_ZH = {
    "brigade_vehicle": "特巡警巡逻车",
    "station_team": "派出所巡逻组",
    "grid_team": "网格巡逻队（1+2+N）",
    "volunteer_team": "群防群治巡逻队",
    "skynet_guard": "天网巡防员",
}


def _unit_info(unit: Any, default_id: str, default_kind: str) -> dict[str, Any]:
    """unit record (Mapping, pandas row, or a unit id) -> the fields a plan carries."""
    if unit is None:
        rec: Mapping[str, Any] = {}
    elif isinstance(unit, str):
        rec = {"unit_id": unit}
    elif hasattr(unit, "to_dict"):
        rec = unit.to_dict()
    else:
        rec = dict(unit)

    def num(key: str, default: int) -> int:
        val = rec.get(key)
        try:
            return int(val) if val is not None and not (isinstance(val, float) and math.isnan(val)) else default
        except (TypeError, ValueError):
            return default

    uid = str(rec.get("unit_id") or default_id)
    kind = str(rec.get("kind") or default_kind)
    name = rec.get("name")
    name = str(name) if name is not None and not (isinstance(name, float) and math.isnan(name)) else uid
    lineup = {"brigade_vehicle": (2, 1, 0), "grid_team": (1, 2, 3), "station_team": (2, 1, 0),
              "volunteer_team": (0, 0, 8), "skynet_guard": (0, 1, 0)}.get(kind, (1, 0, 0))
    return {
        "unit_id": uid, "unit_kind": kind, "name": name,
        "mode": str(rec.get("mode") or ("car" if kind == "brigade_vehicle" else "foot")),
        "officers": num("officers", lineup[0]), "auxiliaries": num("auxiliaries", lineup[1]),
        "volunteers": num("volunteers", lineup[2]),
    }
