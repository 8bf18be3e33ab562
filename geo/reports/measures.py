"""What a report counts: levels, measures (categories, place kind, main road), comparisons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from geo.schema import CATEGORIES, CRIMINAL_GROUPS

__all__ = [
    "COMPARISONS",
    "CRIMINAL",
    "HEADLINE_MEASURES",
    "LEVELS",
    "LEVEL_COLUMN",
    "MEASURES",
    "NEIGHBORHOOD_MEASURES",
    "RANK_METHOD",
    "TWO_ROBBERIES_ONE_THEFT",
    "Measure",
]

#: Report levels, largest first, and the incident column that places an incident in each.
LEVELS: tuple[str, ...] = ("district", "station", "community", "neighborhood")
LEVEL_COLUMN: dict[str, str | None] = {
    "district": None,
    "station": "station_id",
    "community": "community_id",
    "neighborhood": "neighborhood_id",
}
#: The 两抢一盗 categories (robbery, snatching and every theft).
TWO_ROBBERIES_ONE_THEFT: tuple[str, ...] = tuple(
    c for c, (_, _, g) in CATEGORIES.items() if g == "two_robberies_one_theft"
)
#: Criminal-case categories (刑事案件).
CRIMINAL: tuple[str, ...] = tuple(c for c, (_, _, g) in CATEGORIES.items() if g in CRIMINAL_GROUPS)
_PUBLIC_ORDER: tuple[str, ...] = tuple(c for c, (_, _, g) in CATEGORIES.items() if g == "public_order")
#: Ranking method: competition ranking ("1224"), as :meth:`pandas.Series.rank` ``method="min"``.
RANK_METHOD = "min"


@dataclass(frozen=True)
class Measure:
    """What a figure counts: categories, optionally one place kind and main road or not.

    Parameters
    ----------
    key
        Stable identifier.
    zh, en
        Labels.
    categories
        Category codes counted.
    place_kind
        ``"street"`` or ``"neighborhood"`` to count only that place kind; ``None`` for both.
    main_road
        ``True``: only street incidents on main roads; ``None``: no condition.
    groups
        Category groups counted (:data:`geo.categories.GROUPS`): an incident counts when its
        ``group`` (:func:`prepare_incidents`, from the workspace's categories, its own added ones
        too) is one of them; without ``groups``, by ``categories``.
    """

    key: str
    zh: str
    en: str
    categories: tuple[str, ...]
    place_kind: str | None = None
    main_road: bool | None = None
    groups: tuple[str, ...] = ()

    def label(self, lang: str = "zh-CN") -> str:
        return self.en if lang == "en" else self.zh

    def mask(self, incidents: pd.DataFrame) -> pd.Series:
        """Rows of prepared incidents (:func:`prepare_incidents`) this measure counts."""
        if self.groups and "group" in incidents.columns:
            m = incidents["group"].isin(self.groups)
        else:
            m = incidents["category"].isin(self.categories)
        if self.place_kind is not None:
            m &= incidents["place_kind"] == self.place_kind
        if self.main_road is not None:
            m &= incidents["main_road"] == self.main_road
        return m.fillna(False).astype(bool)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label_zh": self.zh,
            "label_en": self.en,
            "categories": list(self.categories),
            "place_kind": self.place_kind,
            "main_road": self.main_road,
        }


_TROT = TWO_ROBBERIES_ONE_THEFT
_G_TROT = ("two_robberies_one_theft",)
_G_CRIM = tuple(CRIMINAL_GROUPS)
#: Every measure a report counts.
MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("criminal", "刑事案件", "criminal cases", CRIMINAL, groups=_G_CRIM),
        Measure("two_robberies_one_theft", "两抢一盗", "robbery, snatching and theft", _TROT, groups=_G_TROT),
        Measure("public_order", "治安案件", "public-order cases", _PUBLIC_ORDER, groups=("public_order",)),
        Measure("street_criminal", "街面刑事案件", "street criminal cases", CRIMINAL, "street", groups=_G_CRIM),
        Measure(
            "neighborhood_criminal", "小区刑事案件", "neighborhood criminal cases", CRIMINAL, "neighborhood",
            groups=_G_CRIM,
        ),
        Measure(
            "street_two_robberies_one_theft", "街面两抢一盗", "street robbery, snatching and theft",
            _TROT, "street", groups=_G_TROT,
        ),
        Measure(
            "neighborhood_two_robberies_one_theft", "小区两抢一盗（可防性案件）",
            "neighborhood robbery, snatching and theft (preventable cases)", _TROT, "neighborhood",
            groups=_G_TROT,
        ),
        Measure(
            "main_road_two_robberies_one_theft", "街面主干道可防性案件（两抢一盗）",
            "main-road street preventable cases (robbery, snatching and theft)", _TROT, "street", True,
            groups=_G_TROT,
        ),
    )
}
#: The article's three headline figures, in its order.
HEADLINE_MEASURES: tuple[str, ...] = (
    "criminal",
    "neighborhood_two_robberies_one_theft",
    "main_road_two_robberies_one_theft",
)
#: Measures reported per neighborhood (street measures are zero there by definition).
NEIGHBORHOOD_MEASURES: tuple[str, ...] = ("criminal", "two_robberies_one_theft", "public_order")
#: Comparisons: name -> (current window, baseline window).
COMPARISONS: dict[str, tuple[str, str]] = {
    "yoy": ("month", "month_last_year"),
    "mom": ("month", "previous_month"),
    "ytd_yoy": ("ytd", "ytd_last_year"),
}
#: Count columns of the comparison tables, in order (each is the window of the same key).
_COUNT_WINDOWS: tuple[str, ...] = ("month", "month_last_year", "previous_month", "ytd", "ytd_last_year")
