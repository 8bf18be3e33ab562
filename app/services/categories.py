"""A workspace's incident categories (``patrolnet categories``, the data page): the built-in eleven
and those its users add, each counting in one of the method's groups (:mod:`geo.categories`)."""

from __future__ import annotations

from typing import Any

from app.i18n import category_label
from geo.categories import GROUPS, META_KEY, added_categories, category_table, check_category, group_codes
from geo.errors import InputError
from geo.schema import CATEGORIES

__all__ = ["add_category", "category_rows", "expand_categories", "remove_category", "workspace_categories"]


def workspace_categories(ws: Any) -> dict[str, tuple[str, str, str]]:
    """The categories of ``ws``: code -> (zh-CN, en, group), the built-in ones first."""
    return category_table(added_categories(ws.meta.get(META_KEY)))


def _counts(ws: Any) -> dict[str, int]:
    if not ws.has("incidents"):
        return {}
    cats = ws.read("incidents", columns=["category"])
    return {str(k): int(v) for k, v in cats["category"].astype("string").value_counts().items()}


def category_rows(ws: Any, lang: str) -> list[dict[str, Any]]:
    """Every category of ``ws`` for a table: code, both names, the label in ``lang``, its group
    (key and label), built in or added, and how many incidents have it."""
    table = workspace_categories(ws)
    counts = _counts(ws)
    en = lang == "en"
    return [{"code": code, "zh": zh, "en": en_name, "label": category_label(code, lang, table), "group": group,
             "group_label": GROUPS[group][1 if en else 0] if group in GROUPS else group,
             "builtin": code in CATEGORIES, "incidents": counts.get(code, 0)}
            for code, (zh, en_name, group) in table.items()]


def add_category(ws: Any, code: str, *, zh: str, en: str, group: str) -> tuple[Any, dict[str, Any]]:
    """Add a category to ``ws`` (checked: :func:`geo.categories.check_category`); the new workspace
    and the category. Incidents may then be imported with it (``--set category=CODE``, a category
    column or ``--category 原类别=CODE``); it counts in ``group``'s figures from then on."""
    table = workspace_categories(ws)
    code, entry = check_category(code, zh, en, group, table)
    added = added_categories(ws.meta.get(META_KEY))
    added[code] = entry
    new_ws = ws.write({}, meta={META_KEY: {c: list(v) for c, v in added.items()}})
    return new_ws, {"code": code, "zh": entry[0], "en": entry[1], "group": entry[2]}


def remove_category(ws: Any, code: str) -> Any:
    """Remove an added category no incident has; the new workspace.

    Raises
    ------
    InputError
        A built-in category, an unknown one, or one that incidents still have (their count named:
        re-import them with another category first).
    """
    if code in CATEGORIES:
        raise InputError(f"category '{code}' is built in and stays", code="category.builtin", value=code)
    added = added_categories(ws.meta.get(META_KEY))
    if code not in added:
        raise InputError(f"category '{code}' is not one of the workspace's added categories "
                         f"({', '.join(added) or 'none'})", code="category.unknown", value=code,
                         known=", ".join(added) or "-")
    used = _counts(ws).get(code, 0)
    if used:
        raise InputError(f"category '{code}' is the category of {used} incident(s); import them again with "
                         f"another category (replacing the layer) before removing it", code="category.in_use", value=code,
                         n=used)
    del added[code]
    return ws.write({}, meta={META_KEY: {c: list(v) for c, v in added.items()}})


def expand_categories(ws: Any, categories: Any) -> list[str] | None:
    """Category codes or groups asked for (``--category``, a form) as the codes of ``ws``'s categories:
    a group (``two_robberies_one_theft``) stands for every category counting in it, the workspace's
    own too. ``None`` or empty: ``None`` (every category).

    Raises
    ------
    InputError
        A code that is neither a category of ``ws`` nor a group (the known ones named).
    """
    if not categories:
        return None
    wanted = [categories] if isinstance(categories, str) else [str(c) for c in categories]
    table = workspace_categories(ws)
    bad = [c for c in wanted if c not in table and c not in GROUPS]
    if bad:
        known = ", ".join([*table, *GROUPS])
        raise InputError(f"unknown category code(s) {', '.join(bad)}; use one of {known}", code="param.categories",
                         codes=", ".join(bad), known=known)
    out: list[str] = []
    for c in wanted:
        for code in (group_codes(table, [c]) if c in GROUPS else (c,)):
            if code not in out:
                out.append(code)
    return out
