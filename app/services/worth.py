"""What a shift's patrol is worth: the incidents it may prevent at its hotspots, as an estimate with a
range and its sources, never as a promise.

The arithmetic, per hotspot place of the plan:

* **Expected incidents** there in the shift: the place's incidents within the dosage radius over the
  last :data:`BASE_DAYS` days before the shift, in the shift's hours, per day (the long-run count:
  ``../ANCHORS`` and our own backtests find it a strong forecast of where incidents recur).
* **Dose**: the minutes spent there against a full dose of :data:`FULL_STOP_MIN` minutes per
  :data:`REVISIT_H` hours of shift (Koper 1995: stops of 10-16 minutes, revisited about every 2 hours;
  a drive-through is worth little), capped at 1.
* **Effect** on a fully dosed place: :data:`HOTSPOT_EFFECT` (Braga & Weisburd 2020, 53 studies: about
  8-16 % fewer incidents in treated places; the middle, 12 %, is the central figure).

Prevented = sum over places of expected x dose x effect, for the plan's minutes and for the minutes
the tracks show. The figures are small per shift (a few places, a few hours); the same plan kept up
for :data:`PER_DAYS` days is shown beside them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from app.i18n import t
from routing.patrol.window import shift_window

__all__ = ["BASE_DAYS", "CCTV_EFFECT", "FULL_STOP_MIN", "HOTSPOT_EFFECT", "PER_DAYS", "REVISIT_H", "SOURCES",
           "camera_worth", "patrol_worth"]

#: Days of incident history behind a place's expected incidents.
BASE_DAYS = 365
#: Minutes of a full dose per revisit period (Koper 1995: 10-16 minute stops).
FULL_STOP_MIN = 15.0
#: Hours between revisits for a full dose (Koper 1995: about every 2 hours).
REVISIT_H = 2.0
#: Share of a treated place's incidents prevented: low, central, high (Braga & Weisburd 2020).
HOTSPOT_EFFECT = (0.08, 0.12, 0.16)
#: The same plan kept up this many days.
PER_DAYS = 28
#: Share of the incidents in a new camera's view prevented: low (city centres, not significant) and
#: the average (Welsh & Farrington 2009, 41 studies: -16 %; car parks -51 %).
CCTV_EFFECT = (0.07, 0.16)
#: Where the numbers come from (keys of the message table: ``worth.source.*``).
SOURCES = ("braga2020", "koper1995", "history")


def _expected(incidents: pd.DataFrame, xy: np.ndarray, *, radius_m: float, start: pd.Timestamp,
              end: pd.Timestamp, tz: str) -> np.ndarray:
    """Incidents per day within ``radius_m`` of each place of ``xy`` in the hours of ``start``-``end``,
    over the :data:`BASE_DAYS` days before ``start``'s day."""
    if incidents is None or incidents.empty or not len(xy):
        return np.zeros(len(xy))
    when = pd.to_datetime(incidents["occurred_at"])
    when = when.dt.tz_localize(tz) if when.dt.tz is None else when.dt.tz_convert(tz)
    first = start.normalize() - pd.Timedelta(days=BASE_DAYS)
    keep = ((when >= first) & (when < start.normalize())).to_numpy()
    # the shift's hours of the day (a shift past midnight wraps)
    minute = (when.dt.hour * 60 + when.dt.minute).to_numpy()
    a = start.hour * 60 + start.minute
    b = a + int(round((end - start).total_seconds() / 60))
    in_hours = ((minute >= a) & (minute < b)) | ((minute + 1440 >= a) & (minute + 1440 < b))
    pts = incidents.geometry.to_numpy()[keep & in_hours]
    if not len(pts):
        return np.zeros(len(xy))
    tree = shapely.STRtree(pts)
    places = shapely.points(xy)
    hit_place, _ = tree.query(places, predicate="dwithin", distance=radius_m)
    counts = np.bincount(hit_place, minlength=len(xy)).astype(float)
    return counts / BASE_DAYS


def _num(v: float) -> str:
    """A small figure with the digits that say something (0.004, 0.05, 1.3)."""
    return f"{v:.3f}" if v < 0.01 else f"{v:.2f}" if v < 1 else f"{v:.1f}"


def patrol_worth(ws: Any, places: Sequence[dict[str, Any]], *, day: dt.date, shift: str, radius_m: float,
                 with_tracks: bool, lang: str = "zh-CN") -> dict[str, Any]:
    """The estimate for the hotspot ``places`` of a shift's plan: each ``{"x", "y"}`` (working CRS),
    ``planned_min`` and ``actual_min`` (all units together).

    Returns ``expected`` (incidents per shift at those places), ``planned`` and ``actual`` (each
    ``low``/``central``/``high`` incidents prevented this shift, and ``per_days`` the same kept up
    :data:`PER_DAYS` days; ``actual`` is None without tracks), ``places``, the sentence to show
    (``line``) and the ``sources``."""
    start, end = (pd.Timestamp(v) for v in shift_window(shift, date=day, tz=ws.timezone))
    xy = np.asarray([(p["x"], p["y"]) for p in places], dtype=float).reshape(-1, 2)
    ok = np.isfinite(xy).all(axis=1)
    incidents = ws.read("incidents", columns=["occurred_at"]) if ws.has("incidents") else None
    expected = np.zeros(len(xy))
    expected[ok] = _expected(incidents, xy[ok], radius_m=radius_m, start=start, end=end, tz=ws.timezone)
    full = FULL_STOP_MIN * max(1, math.ceil((end - start).total_seconds() / 3600.0 / REVISIT_H))

    def prevented(minutes: np.ndarray) -> dict[str, float]:
        dose = np.clip(minutes / full, 0.0, 1.0)
        base = float((expected * dose).sum())
        out = {k: round(base * e, 3) for k, e in zip(("low", "central", "high"), HOTSPOT_EFFECT, strict=True)}
        out["per_days"] = {k: round(v * PER_DAYS, 2) for k, v in out.items()}
        return out

    planned = prevented(np.asarray([float(p.get("planned_min") or 0.0) for p in places]))
    actual = prevented(np.asarray([float(p.get("actual_min") or 0.0) for p in places])) if with_tracks else None
    total = round(float(expected.sum()), 3)
    fields = {"places": len(places), "expected": _num(total), "full": f"{full:g}", "days": PER_DAYS,
              "p_low": _num(planned["low"]), "p_high": _num(planned["high"]),
              "p_days_low": f"{planned['per_days']['low']:.1f}", "p_days_high": f"{planned['per_days']['high']:.1f}"}
    line = t("worth.planned", lang, **fields)
    if actual is not None:
        line += " " + t("worth.actual", lang, a_low=_num(actual["low"]), a_high=_num(actual["high"]),
                         a_days_low=f"{actual['per_days']['low']:.1f}", a_days_high=f"{actual['per_days']['high']:.1f}",
                         days=PER_DAYS)
    return {"expected": total, "places": len(places), "full_dose_min": full, "planned": planned, "actual": actual,
            "line": line + " " + t("worth.caveat", lang),
            "sources": [t(f"worth.source.{s}", lang, days=BASE_DAYS) for s in SOURCES]}


def camera_worth(gaps: Any, covered: np.ndarray, *, lang: str = "zh-CN") -> dict[str, Any]:
    """What a batch of new cameras may be worth: the incidents of the last 12 months at the gaps the
    batch covers (``covered``: a flag per row of ``gaps``, their ``incidents_12m``), times
    :data:`CCTV_EFFECT`, per year; with the sentence to show and its sources."""
    counts = np.asarray(gaps["incidents_12m"], dtype=float) if "incidents_12m" in gaps.columns else np.zeros(len(gaps))
    seen = float(np.nansum(counts[np.asarray(covered, bool)]))
    low, high = (round(seen * e, 2) for e in CCTV_EFFECT)
    line = t("worth.cameras", lang, gaps=int(np.asarray(covered, bool).sum()), incidents=f"{seen:g}",
             low=f"{low:.1f}", high=f"{high:.1f}") + " " + t("worth.caveat", lang)
    return {"incidents_12m": seen, "low": low, "high": high, "line": line,
            "sources": [t("worth.source.welsh2009", lang)]}
