"""What the pages say when they refuse a request: in the page's language, naming the field as the
form labels it, and saying what to change in the form (never a command-line option).

An error of the core or of the services carries a message key (``exc.code``, see
:class:`geo.errors.PlannerError`) and its values (``exc.fmt``). :func:`say_error` says it as
``error.<code>`` of :mod:`app.i18n` (the wording both shells share), else with the web's own
wording (:data:`FORM_MESSAGES`), else as the error's own English text. :func:`say_invalid` does the
same for one pydantic validation error of a job's parameters: its ``type`` is the message key (the
job parameter models raise the services' refusals under their key, and pydantic's own checks have
theirs) and its location names the field, which the sentence names as the form labels it.

:data:`FORM_MESSAGES` holds only what the web alone says: pydantic's checks of a job's parameters
and the web's own refusals (keys ``web.*``); the services' and the core's keys are said by
:mod:`app.i18n` (``app/messages``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.i18n import MESSAGES, normalize_lang, t

__all__ = ["FORM_MESSAGES", "field_label", "join", "say", "say_error", "say_invalid"]

_M = dict[str, dict[str, str]]

#: Parameter name -> the i18n key of the label its form field shows (the routes, hotspots, reports,
#: cameras and data pages), or the label itself for parameters only the API takes.
_FORM_LABELS: dict[str, str] = {
    "date": "routes.date", "shift": "routes.shift", "kinds": "routes.kinds", "team_minutes": "routes.team_minutes",
    "start": "hot.from", "end": "hot.to", "categories": "hot.category", "month": "rep.month", "half": "rep.half",
    "lang": "rep.lang",
    "add": "cam.site_add", "layer": "data.layer", "coords": "data.coords",
    "strict": "data.strict", "replace": "data.replace", "file_name": "data.file", "station_id": "field.station",
    "set_values": "data.set",
}
_API_LABELS: _M = {
    "time_limit_s": {"zh-CN": "每条路线的搜索量（名义秒数；固定的解数，结果每次相同）",
                     "en": "search effort per team loop (nominal seconds: a fixed count of solutions, same result every time)"},
    "lookback_days": {"zh-CN": "风险统计天数", "en": "incident history (days)"},
    "start_week": {"zh-CN": "开始周", "en": "start week"},
    "end_week": {"zh-CN": "结束周", "en": "end week"},
    "tune_weeks": {"zh-CN": "调参周", "en": "tuning weeks"},
    "cells": {"zh-CN": "单元类型", "en": "cells"},
    "cell_m": {"zh-CN": "网格边长（米）", "en": "cell size (m)"},
    "year": {"zh-CN": "年份", "en": "year"},
    "brigade_units": {"zh-CN": "特巡警巡区数", "en": "brigade beats"},
    "risk_weighted": {"zh-CN": "按风险加权", "en": "risk-weighted"},
    "count": {"zh-CN": "小片区数量", "en": "number of sub-zones"},
    "target_area_m2": {"zh-CN": "小片区目标面积（平方米）", "en": "target sub-zone area (m²)"},
    "bandwidth_m": {"zh-CN": "热力半径（米）", "en": "heat bandwidth (m)"},
    "as_of": {"zh-CN": "数据截止日期", "en": "last day of data"},
    "horizon_days": {"zh-CN": "预测天数", "en": "forecast days"},
    "method": {"zh-CN": "预测方法", "en": "forecast method"},
    "top": {"zh-CN": "返回条数", "en": "rows returned"},
    "segment_m": {"zh-CN": "路段长度（米）", "en": "road piece length (m)"},
    "risk": {"zh-CN": "按风险排序", "en": "rank by risk"},
    "budget_per_station": {"zh-CN": "每个派出所上限", "en": "at most per station"},
    "radius_m": {"zh-CN": "探头覆盖半径（米）", "en": "camera reach (m)"},
    "week": {"zh-CN": "通报周", "en": "bulletin week"},
    "controlled_share": {"zh-CN": "“已控制”降幅", "en": "fall counted as controlled"},
    "column_map": {"zh-CN": "字段对应", "en": "column mapping"},
    "category_map": {"zh-CN": "类别对应", "en": "category mapping"},
    "timezone": {"zh-CN": "时区", "en": "time zone"},
    "tolerance_m": {"zh-CN": "落点容差（米）", "en": "placing tolerance (m)"},
    "encoding": {"zh-CN": "文件编码", "en": "file encoding"},
    "sheet": {"zh-CN": "工作表", "en": "sheet"},
}

#: What only the web says: what to change in the form. ``{field}`` is the field's label.
FORM_MESSAGES: _M = {
    # -- the web's own refusals --------------------------------------------------------------------
    "web.mapping": {"zh-CN": "{field}第 {line} 行：请写成 源列=目标列，例如 发案时间=occurred_at（现为“{value}”）",
                    "en": "{field}, line {line}: write SOURCE=TARGET, e.g. 发案时间=occurred_at (got '{value}')"},
    "web.station_job_kind": {"zh-CN": "派出所用户不能运行“{kind}”任务（该任务覆盖全区）",
                             "en": "a station user may not run {kind} jobs (they cover the whole district)"},
    "web.users.nothing_to_change": {"zh-CN": "没有要修改的内容：请修改角色、所属派出所、显示名称或启用状态",
                                    "en": "nothing to change: change the role, station, display name or active state"},
    "web.users.own_role": {"zh-CN": "管理员不能在此修改自己的角色或停用自己（会结束本次会话）；请另一位管理员操作",
                           "en": "an admin cannot change their own role or disable themselves here (it would end "
                                 "this session); ask another admin"},
    "web.users.remove_self": {"zh-CN": "管理员不能删除自己；请另一位管理员操作",
                              "en": "an admin cannot remove themselves; ask another admin"},
    # -- pydantic's checks of a job's parameters (its error types) -----------------------------------
    "missing": {"zh-CN": "{field}：必须填写", "en": "{field}: required"},
    "extra_forbidden": {"zh-CN": "{field}：不是此任务的参数", "en": "{field}: not a parameter of this job"},
    "literal_error": {"zh-CN": "{field}：请选择 {expected} 之一", "en": "{field}: choose one of {expected}"},
    "enum": {"zh-CN": "{field}：请选择 {expected} 之一", "en": "{field}: choose one of {expected}"},
    "greater_than_equal": {"zh-CN": "{field}：不能小于 {ge}", "en": "{field}: at least {ge}"},
    "greater_than": {"zh-CN": "{field}：应大于 {gt}", "en": "{field}: more than {gt}"},
    "less_than_equal": {"zh-CN": "{field}：不能大于 {le}", "en": "{field}: at most {le}"},
    "less_than": {"zh-CN": "{field}：应小于 {lt}", "en": "{field}: less than {lt}"},
    "too_short": {"zh-CN": "{field}：至少选择 {min_length} 项", "en": "{field}: choose at least {min_length}"},
    "too_long": {"zh-CN": "{field}：最多 {max_length} 项", "en": "{field}: at most {max_length}"},
    "string_too_short": {"zh-CN": "{field}：至少 {min_length} 个字符", "en": "{field}: at least {min_length} characters"},
    "string_too_long": {"zh-CN": "{field}：最多 {max_length} 个字符", "en": "{field}: at most {max_length} characters"},
    "string_pattern_mismatch": {"zh-CN": "{field}：格式不对", "en": "{field}: not in the expected form"},
    "string_type": {"zh-CN": "{field}：应为文字", "en": "{field}: enter text"},
    "int_parsing": {"zh-CN": "{field}：应为整数", "en": "{field}: enter a whole number"},
    "int_type": {"zh-CN": "{field}：应为整数", "en": "{field}: enter a whole number"},
    "int_from_float": {"zh-CN": "{field}：应为整数", "en": "{field}: enter a whole number"},
    "float_parsing": {"zh-CN": "{field}：应为数字", "en": "{field}: enter a number"},
    "float_type": {"zh-CN": "{field}：应为数字", "en": "{field}: enter a number"},
    "finite_number": {"zh-CN": "{field}：应为有限的数字", "en": "{field}: enter a finite number"},
    "bool_parsing": {"zh-CN": "{field}：应为“是”或“否”", "en": "{field}: yes or no"},
    "bool_type": {"zh-CN": "{field}：应为“是”或“否”", "en": "{field}: yes or no"},
    "list_type": {"zh-CN": "{field}：应为列表", "en": "{field}: give a list"},
    "tuple_type": {"zh-CN": "{field}：应为两个数", "en": "{field}: give two numbers"},
    "dict_type": {"zh-CN": "{field}：应为对应表", "en": "{field}: give a mapping"},
    "model_attributes_type": {"zh-CN": "任务参数应为 JSON 对象", "en": "the job's parameters must be a JSON object"},
    "model_type": {"zh-CN": "任务参数应为 JSON 对象", "en": "the job's parameters must be a JSON object"},
    "json_invalid": {"zh-CN": "任务参数不是有效的 JSON", "en": "the job's parameters are not valid JSON"},
    # a parameter refused for a reason of its own (its text is English): the field and the reason
    "value_error": {"zh-CN": "{field}：{reason}", "en": "{field}: {reason}"},
}
#: Fallback for an error type without wording here.
_OTHER = {"zh-CN": "{field}：{reason}", "en": "{field}: {reason}"}


def _lang(lang: str) -> str:
    return normalize_lang(lang)


def field_label(name: str, lang: str) -> str:
    """The label of parameter ``name`` as its form shows it (the name itself when unknown)."""
    key = _FORM_LABELS.get(name)
    if key is not None and key in MESSAGES:
        return t(key, lang)
    labels = _API_LABELS.get(name)
    return labels[_lang(lang)] if labels else name


def _format(template: str, values: Mapping[str, Any]) -> str | None:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return None


def say(code: str, lang: str, **fmt: Any) -> str | None:
    """Message key ``code`` in ``lang`` (``error.<code>`` of :mod:`app.i18n`, else
    :data:`FORM_MESSAGES`), formatted with ``fmt``; None when neither has it (or lacks a value)."""
    lang = _lang(lang)
    for entry in (MESSAGES.get(f"error.{code}"), FORM_MESSAGES.get(code)):
        template = entry and (entry.get(lang) or entry.get("zh-CN"))
        text = _format(template, fmt) if template else None
        if text:
            return text
    return None


def say_error(exc: BaseException, lang: str) -> str:
    """An error as the pages say it: its message key's wording in ``lang`` (:func:`say`), else its
    own text."""
    code = getattr(exc, "code", None)
    if code:
        fmt = dict(getattr(exc, "fmt", None) or {})
        fmt["field"] = field_label(str(fmt.get("field", "")), lang)
        text = say(str(code), lang, **fmt)
        if text:
            return text
    return str(exc)


def _field(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """The parameter a validation error is about: the first name after ``body`` (list positions and
    pydantic's union tags left out)."""
    names = [str(p) for p in loc if isinstance(p, str)]
    if names and names[0] in ("body", "query", "path", "header", "cookie"):
        names = names[1:]
    return names[0] if names else None


def say_invalid(error: Mapping[str, Any], lang: str) -> str:
    """One pydantic validation error of a job's parameters (an item of ``ValidationError.errors()``)
    as a sentence in ``lang`` that names the field as the form labels it."""
    lang = _lang(lang)
    name = _field(error.get("loc", ()))
    ctx = {k: v for k, v in (error.get("ctx") or {}).items()}
    field = field_label(name, lang) if name else ("参数" if lang == "zh-CN" else "parameters")
    reason = str(ctx.pop("message", None) or ctx.get("error") or error.get("msg", ""))
    values = {k: (v if isinstance(v, int | float | str) else str(v)) for k, v in ctx.items()}
    values.update(field=field, reason=reason, value=values.get("value", error.get("input", "")))
    if "what" in values and name:  # the value's name in a shared rule's words: the form's label
        values["what"] = field
    if lang == "zh-CN" and isinstance(values.get("expected"), str):  # "'a', 'b' or 'c'"
        values["expected"] = values["expected"].replace("' or '", "'、'").replace("', '", "'、'")
    text = say(str(error.get("type", "")), lang, **values) or _format(_OTHER[lang], values) or reason
    if name and field.lower() not in text.lower():
        text = f"{field}：{text}" if lang == "zh-CN" else f"{field}: {text}"
    return text


def join(sentences: list[str], lang: str) -> str:
    """Several refusals as one line."""
    return ("；" if _lang(lang) == "zh-CN" else "; ").join(dict.fromkeys(sentences))
