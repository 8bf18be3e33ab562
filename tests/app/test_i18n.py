"""Messages in zh-CN and English."""

from __future__ import annotations

import string

import pytest

from app.i18n import (
    DEFAULT_LANG,
    LANGS,
    MESSAGES,
    category_label,
    layer_label,
    normalize_lang,
    other_lang,
    t,
)
from geo.schema import LAYERS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "zh-CN"), ("", "zh-CN"), ("zh", "zh-CN"), ("zh_CN", "zh-CN"), ("ZH-cn", "zh-CN"),
        ("zh-Hans", "zh-CN"), ("cn", "zh-CN"), ("中文", "zh-CN"), ("en", "en"), ("en-US", "en"),
        ("EN_gb", "en"), ("English", "en"), ("fr", "zh-CN"), (" en ", "en"),
    ],
)
def test_normalize_lang(value: str | None, expected: str) -> None:
    assert normalize_lang(value) == expected


def test_normalize_lang_default() -> None:
    assert normalize_lang("xx", default="en") == "en"
    assert DEFAULT_LANG == "zh-CN" and set(LANGS) == {"zh-CN", "en"}


def test_every_message_in_both_languages_with_same_fields() -> None:
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    for key, entry in MESSAGES.items():
        assert set(entry) == set(LANGS), key
        assert all(entry[lang].strip() for lang in LANGS), key
        assert fields(entry["zh-CN"]) == fields(entry["en"]), key


def test_t() -> None:
    assert t("layer.stations") == "派出所辖区"
    assert t("layer.stations", "en") == "Police station jurisdictions"
    assert t("layer.stations", "en-US") == "Police station jurisdictions"
    msg = t("error.layer_not_found", "zh-CN", name="x", available="a, b")
    assert "x" in msg and "a, b" in msg
    assert "1,200" in t("cli.import.done", "en", accepted=1200, rows=1300, layer="incidents",
                        total=5000)
    with pytest.raises(KeyError):
        t("no.such.key")


def test_labels() -> None:
    assert category_label("ebike_theft") == "盗窃电动车"
    assert category_label("ebike_theft", "en") == "e-bike theft"
    assert category_label("unknown_code") == "unknown_code"
    for name in LAYERS:
        if name != "meta":
            assert layer_label(name) != name
            assert layer_label(name, "en") != name
    assert layer_label("custom") == "custom"
    assert other_lang("zh-CN") == "en" and other_lang("en") == "zh-CN"
