"""Incident categories of a workspace: the built-in eleven and the ones its users add.

The method counts by groups: 两抢一盗 (robbery, snatching and theft), the other criminal cases
(together 刑事案件) and public-order cases (治安案件). A city bringing its own lists adds categories
(``shooting``, ``drugs``, ``traffic``), each with a zh-CN and an English name and the group it
counts in (or ``other``: counted in no figure of the method, still mapped, filtered and shown).

A category table maps code -> (zh-CN, en, group), like :data:`geo.schema.CATEGORIES`, which is
the table of a workspace that added none. Workspaces keep their additions in the meta key
:data:`META_KEY` (JSON ``{code: [zh, en, group]}``); :func:`category_table` merges them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from geo.errors import InputError
from geo.schema import CATEGORIES, CRIMINAL_GROUPS

__all__ = ["GROUPS", "META_KEY", "added_categories", "category_table", "check_category", "criminal_codes",
           "group_codes"]

#: Groups a category counts in: key -> (zh-CN, en). ``other``: in no figure of the method.
GROUPS: dict[str, tuple[str, str]] = {
    "two_robberies_one_theft": ("两抢一盗（刑事）", "robbery, snatching, theft (criminal)"),
    "other_criminal": ("其他刑事案件", "other criminal cases"),
    "public_order": ("治安案件", "public-order cases"),
    "other": ("其他警情（不计入刑事、治安）", "other (not counted as criminal or public-order)"),
}
#: The workspace meta key holding the added categories.
META_KEY = "categories"
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
_MAX_NAME = 40


def added_categories(meta_value: Any) -> dict[str, tuple[str, str, str]]:
    """The added categories kept in a workspace's meta (JSON text or already parsed; empty when none)."""
    if meta_value in (None, ""):
        return {}
    raw = json.loads(meta_value) if isinstance(meta_value, str) else meta_value
    return {str(code): (str(v[0]), str(v[1]), str(v[2])) for code, v in dict(raw).items()}


def category_table(added: Mapping[str, tuple[str, str, str]] | None = None) -> dict[str, tuple[str, str, str]]:
    """The built-in categories, then ``added`` (never replacing a built-in one)."""
    table = dict(CATEGORIES)
    for code, entry in (added or {}).items():
        table.setdefault(code, tuple(entry))  # type: ignore[arg-type]
    return table


def group_codes(table: Mapping[str, tuple[str, str, str]], groups: Iterable[str]) -> tuple[str, ...]:
    """The codes of ``table`` counting in any of ``groups``, in the table's order."""
    wanted = set(groups)
    return tuple(code for code, (_, _, g) in table.items() if g in wanted)


def criminal_codes(table: Mapping[str, tuple[str, str, str]]) -> tuple[str, ...]:
    """The codes counted as criminal cases (刑事案件)."""
    return group_codes(table, CRIMINAL_GROUPS)


def check_category(code: str, zh: str, en: str, group: str,
                   table: Mapping[str, tuple[str, str, str]]) -> tuple[str, tuple[str, str, str]]:
    """A new category checked against ``table`` (the workspace's): its code and entry.

    Raises
    ------
    InputError
        A code not of 2-32 lowercase letters, digits and ``_`` starting with a letter, one already
        in the table (or a name of one: 抢劫, robbery), an empty or overlong name, an unknown group.
    """
    code = (code or "").strip()
    zh, en = (zh or "").strip(), (en or "").strip()
    if not _CODE.match(code):
        raise InputError(f"category code '{code}': use 2-32 lowercase letters, digits or _, starting with a letter "
                         f"(e.g. shooting)", code="category.bad_code", value=code)
    if code in table:
        raise InputError(f"category '{code}' exists already ({table[code][0]} / {table[code][1]})",
                         code="category.exists", value=code, zh=table[code][0], en=table[code][1])
    for what, name in (("zh", zh), ("en", en)):
        if not name or len(name) > _MAX_NAME:
            raise InputError(f"category '{code}': give a {'Chinese' if what == 'zh' else 'English'} name of "
                             f"1-{_MAX_NAME} characters", code=f"category.bad_name_{what}", value=code, most=_MAX_NAME)
    names = {n.lower(): c for c, (z, e, _) in table.items() for n in (z, e)}
    for name in (zh, en):
        if name.lower() in names:
            other = names[name.lower()]
            raise InputError(f"category name '{name}' is taken by '{other}'; choose another name",
                             code="category.name_taken", name=name, other=other)
    if group not in GROUPS:
        raise InputError(f"category group '{group}': use one of {', '.join(GROUPS)}", code="category.bad_group",
                         value=str(group), known=", ".join(GROUPS))
    return code, (zh, en, group)
