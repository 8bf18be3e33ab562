"""The access rules as Markdown, generated from the code (``python -m app.web.access_doc`` rewrites
the generated part of ``docs/security.md``; a test checks that it is current)."""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi.routing import APIRoute

from app.web.auth import PUBLIC, ROUTE_POLICY, SIGNED_IN
from app.web.routes import ALWAYS as ROUTERS
from app.web.routes import tiles as tile_routes
from app.storage.access import PERMISSIONS, ROLE_PERMISSIONS

__all__ = ["MARKER", "policy_markdown"]

MARKER = "<!-- generated from app/web/auth.py and app/storage/access.py by `python -m app.web.access_doc` -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _routes() -> list[tuple[str, str, str]]:
    """(method(s), path, route name) of every route of an app, without opening a workspace."""
    out = []
    for module in (*ROUTERS, tile_routes):
        for r in module.router.routes:
            if isinstance(r, APIRoute):
                out.append((",".join(sorted(r.methods)), r.path, r.name))
    return out


def policy_markdown() -> str:
    roles = list(ROLE_PERMISSIONS)
    lines = [MARKER, "", "### Roles and permissions", "", "| permission | meaning | " + " | ".join(roles) + " |",
             "| --- | --- | " + " | ".join("---" for _ in roles) + " |"]
    for perm, meaning in PERMISSIONS.items():
        marks = " | ".join("yes" if perm in ROLE_PERMISSIONS[r] else "-" for r in roles)
        lines.append(f"| `{perm}` | {meaning} | {marks} |")
    lines += ["", "### Every route and the permission it needs", "",
              "`public`: no sign-in; `signed_in`: any signed-in user. A route missing here is refused.", "",
              "| method | path | route | needs |", "| --- | --- | --- | --- |"]
    for method, path, name in _routes():
        rule = ROUTE_POLICY.get(name, "**missing: refused**")
        label = rule if rule in (PUBLIC, SIGNED_IN) else f"`{rule}`"
        lines.append(f"| {method} | `{path}` | `{name}` | {label} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    head = text.split(MARKER)[0]
    DOC.write_text(head + policy_markdown(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")


if __name__ == "__main__":
    main()
