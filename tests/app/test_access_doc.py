"""docs/security.md's generated part matches the code's access rules."""

from __future__ import annotations

from app.web.access_doc import DOC, MARKER, policy_markdown


def test_security_doc_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert MARKER in text
    assert text.endswith(policy_markdown()), "docs/security.md is stale: run `python -m app.web.access_doc`"
    assert "**missing: refused**" not in policy_markdown(), "a route has no access rule"
