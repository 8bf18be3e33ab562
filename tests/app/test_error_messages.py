"""Errors that speak the user's language (issue 13): every keyed error has its zh-CN and English text
with the same values, the texts name no command-line flag, each key the code raises exists with the
values its message needs, progress stages have names in both languages, and the web and the command
line say a keyed error in the user's language."""

from __future__ import annotations

import ast
import pickle
import re
import time
import string
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.i18n import LANGS, MESSAGES, error_key, said, stage_key, stage_label, t
from app.messages import errors_analysis, errors_data, errors_planning, stages
from geo.errors import CRSError, InputError, PlannerError, WorkspaceError, raise_collected
from geo.reports import parse_month

ROOT = Path(__file__).parents[2]
SOURCES = [p for d in ("app", "geo", "routing") for p in sorted((ROOT / d).rglob("*.py"))]
ERRORS = {k: v for k, v in MESSAGES.items() if k.startswith("error.")}
STAGES = {k: v for k, v in MESSAGES.items() if k.startswith("stage.")}


#: A patrolnet command written out (``patrolnet import ...``).
_COMMAND = re.compile(r"patrolnet (demo|info|serve|init|import|grid|split|hotspots|forecast|backtest|routes|cameras|"
                      r"report|backups|restore|users|audit)\b")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _raised_codes() -> list[tuple[str, str, set[str] | None]]:
    """(where, code, the value names given, or None when passed on as ``**values``) of every
    ``code=`` given to an error (or to raise_collected) and every ``coded(exc, code, ...)`` /
    ``exc.coded(code, ...)`` in the project's sources."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            names = {k.arg for k in node.keywords if k.arg is not None}
            spread = any(k.arg is None for k in node.keywords)
            code = None
            for k in node.keywords:
                if k.arg == "code" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
                    code = k.value.value
            func = _name(node.func)
            if code is None and func in ("coded", "_coded"):
                pos = [a for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                code = pos[0].value if pos else None
            if code is None:
                continue
            names.discard("code")
            if func == "raise_collected":
                names |= {"n", "problems"}
                names -= {"what", "cls"}
            found.append((where, code, None if spread else names))
    return found


def _reported_stages() -> set[str]:
    """Stage words passed as ``report("word", fraction)`` / ``progress(...)`` / ``ctx.progress(...)``
    and the stage weights of the web's job kinds."""
    words = {"queued for the workspace"}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if _name(node.func) in ("report", "progress") and len(node.args) == 2:
                words.add(first.value)
            if _name(node.func) == "JobKind":
                for arg in node.args:
                    if isinstance(arg, ast.Tuple) and all(isinstance(e, ast.Tuple) for e in arg.elts):
                        words |= {e.elts[0].value for e in arg.elts
                                  if e.elts and isinstance(e.elts[0], ast.Constant) and isinstance(e.elts[0].value, str)}
    return words


# -- the catalogue ------------------------------------------------------------------------------------
def test_catalogue_modules_are_merged_once() -> None:
    parts = [errors_analysis.MESSAGES, errors_data.MESSAGES, errors_planning.MESSAGES, stages.MESSAGES]
    keys = [k for part in parts for k in part]
    assert len(keys) == len(set(keys))
    for part in parts:
        for key, entry in part.items():
            assert MESSAGES[key] == entry, key
    assert len(ERRORS) > 150 and len(STAGES) > 30


@pytest.mark.parametrize("key", sorted(ERRORS) + sorted(STAGES))
def test_keyed_message_in_both_languages_with_the_same_values(key: str) -> None:
    entry = MESSAGES[key]
    assert set(entry) == set(LANGS)
    assert all(entry[lang].strip() for lang in LANGS)
    assert _fields(entry["zh-CN"]) == _fields(entry["en"])


@pytest.mark.parametrize("key", sorted(ERRORS))
def test_no_keyed_message_names_a_command_line_flag(key: str) -> None:
    for lang in LANGS:
        assert "--" not in MESSAGES[key][lang], (key, lang)
        assert not _COMMAND.search(MESSAGES[key][lang]), (key, lang)  # no command to type on a page


def _text(code: str) -> str | None:
    """The English text of a code: ``error.<code>`` of app.i18n, else the web's own wording."""
    try:
        from app.web.messages import FORM_MESSAGES
    except ImportError:  # the web's own wording is optional
        FORM_MESSAGES = {}  # noqa: N806

    entry = MESSAGES.get(f"error.{code}") or FORM_MESSAGES.get(code)
    return entry["en"] if entry else None


def test_every_code_raised_has_its_message_and_values() -> None:
    found = _raised_codes()
    assert len(found) > 250
    missing = sorted({f"{where}: error.{code}" for where, code, _ in found if _text(code) is None})
    assert not missing, missing
    short = []
    for where, code, names in found:
        if names is None:
            continue
        needs = _fields(_text(code) or "")
        if not needs <= names:
            short.append(f"{where}: error.{code} needs {sorted(needs - names)}")
    assert not short, short


def test_every_progress_stage_has_a_name() -> None:
    words = _reported_stages()
    assert {"read", "check rows", "write workspace", "Gi* sub-zones", "plan"} <= words
    missing = sorted(w for w in words if stage_key(w) not in MESSAGES)
    assert not missing, missing
    assert stage_key("Gi* sub-zones") == "stage.gi_sub_zones"
    assert stage_label("write workspace", "zh-CN") == "写入工作区"
    assert stage_label("write workspace", "en") == "write workspace"
    assert stage_label("a stage nobody named", "zh-CN") == "a stage nobody named"


# -- the error itself ---------------------------------------------------------------------------------
def test_a_keyed_error_is_said_in_each_language_and_keeps_its_english_text() -> None:
    with pytest.raises(InputError, match="is not a month; give it as YYYY-MM") as caught:
        parse_month("Sept")
    exc = caught.value
    assert error_key(exc) == "error.report.bad_month" and exc.fmt == {"value": "Sept"}
    assert said(exc, "zh-CN") == "“Sept”不是月份；请写成 YYYY-MM，例如 2026-09"
    assert said(exc, "en") == "'Sept' is not a month; write it as YYYY-MM, for example 2026-09"
    again = pickle.loads(pickle.dumps(exc))  # jobs in worker processes
    assert str(again) == str(exc) and said(again, "zh-CN") == said(exc, "zh-CN")


def test_an_error_without_a_known_key_is_its_english_text() -> None:
    assert said(InputError("plain words"), "zh-CN") == "plain words"
    assert said(InputError("x", code="no.such.key"), "zh-CN") == "x"
    assert error_key(ValueError("v")) is None
    # a value missing from the error: the English text rather than a broken sentence
    assert said(WorkspaceError("gone", code="workspace.missing"), "zh-CN") == "gone"


def test_collected_problems_keep_their_list() -> None:
    with pytest.raises(CRSError) as caught:
        raise_collected(["layer 'a': no CRS", "layer 'b': no CRS"], what="workspace 'w.gpkg'", cls=CRSError,
                        code="workspace.problems", path="w.gpkg")
    zh = said(caught.value, "zh-CN")
    assert zh.startswith("工作区“w.gpkg”：有 2 个问题") and "  - layer 'b': no CRS" in zh
    assert str(caught.value).startswith("workspace 'w.gpkg': 2 problem(s)")


# -- the shells -----------------------------------------------------------------------------------------
def test_web_says_a_core_error_in_the_request_language(client: Any) -> None:
    """The fixture workspace has no communities: the monthly report (geo.reports) refuses, keyed."""
    zh = client.get("/api/v1/stats/headline", params={"lang": "zh-CN"})
    en = client.get("/api/v1/stats/headline", params={"lang": "en"})
    assert zh.status_code == en.status_code == 422
    assert zh.json()["detail"] == t("error.report.no_layer", "zh-CN", layer="communities")
    assert "报表需要“communities”图层" in zh.json()["detail"]
    assert en.json()["detail"] == "the report needs the 'communities' layer; import it on the Data page first"


def _finished(client: Any, href: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while (job := client.get(href).json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    return job


@pytest.mark.parametrize("lang", LANGS)
def test_a_failed_job_says_why_in_its_language(client: Any, lang: str) -> None:
    """The fixture workspace has no patrol units: the routes job fails with the services' keyed
    refusal, said in the submitter's language beside the English ``error``; its stage is named too."""
    submitted = client.post("/api/v1/jobs/routes", params={"lang": lang}, json={"date": "2026-11-02"}).json()
    job = _finished(client, submitted["href"])
    assert job["status"] == "failed" and "no patrol units" in job["error"]
    assert job["message"] == t("error.data.no_units", lang)
    if job["stage"] is not None:
        assert job["stage_label"] == stage_label(job["stage"], lang)


def test_cli_says_a_keyed_error_in_its_lang(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.gpkg"
    zh = CliRunner().invoke(cli, ["info", str(missing), "--lang", "zh-CN"])
    assert zh.exit_code == 2
    assert f"error: 工作区“{missing}”不存在；请先生成演示工作区或新建工作区" in zh.output
    assert "does not exist; build one with 'patrolnet demo'" in zh.output  # the English, naming the command
    en = CliRunner().invoke(cli, ["info", str(missing), "--lang", "en"])
    assert en.exit_code == 2 and "工作区" not in en.output
    assert f"error: workspace '{missing}' does not exist; build one with 'patrolnet demo' or 'patrolnet init'" in en.output


def test_planner_error_signature() -> None:
    exc = PlannerError("text", code="param.month", value="13")
    assert (str(exc), exc.code, exc.fmt) == ("text", "param.month", {"value": "13"})
