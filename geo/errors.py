"""One error family for the whole core.

Every error names the bad value, where it is (file, layer, row, column) and the fix. An error a
user can meet also carries a message key and its values (``code=``, ``**fmt``): the shells say
``error.<code>`` of :mod:`app.i18n` in the user's language, in words that fit both the pages and
the command line (no command-line flags); the English message stays for logs and ``--lang en``.
The API maps the family to 4xx responses; the CLI to a one-line message and exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "PlannerError",
    "InputError",
    "CRSError",
    "InfeasibleError",
    "WorkspaceError",
    "OfflineError",
    "raise_collected",
]


class PlannerError(ValueError):
    """Base class of every error patrolnet raises on purpose.

    Parameters
    ----------
    message
        The English text (what the command line says with ``--lang en``, and the fallback).
    code
        The message key: the shells say ``error.<code>`` of :mod:`app.i18n` in the user's language,
        formatted with ``fmt``. An error without a key is shown as its English text.
    **fmt
        The values the message names (the bad value, the file, row or field, the limit).
    """

    def __init__(self, *args: object, code: str | None = None, **fmt: object) -> None:
        super().__init__(*args)
        self.code = code
        self.fmt = dict(fmt)

    def coded(self, code: str, /, **fmt: object) -> PlannerError:
        """Tag this error with message key ``code`` and its values; return it (to ``raise``)."""
        self.code = code
        self.fmt = dict(fmt)
        return self


class InputError(PlannerError):
    """A file, row, column or option is wrong; the message says where and how to fix it."""


class CRSError(PlannerError):
    """A coordinate reference system is missing, geographic where metres are needed, or mismatched."""


class InfeasibleError(PlannerError):
    """A planning problem has no solution with the given inputs (the message says which limit binds)."""


class WorkspaceError(PlannerError):
    """A workspace file is missing, not a patrolnet workspace, or of an unknown schema version."""


class OfflineError(PlannerError):
    """An online-only feature was asked for while there is no internet."""


def raise_collected(problems: Iterable[str], *, what: str, cls: type[PlannerError] = InputError,
                    code: str | None = None, **fmt: object) -> None:
    """Raise one error listing every problem found, or return when there is none.

    Parameters
    ----------
    problems
        Human-readable problem descriptions, each naming its place and fix.
    what
        What was validated (for example ``"workspace layer 'cameras'"``), used as the message head.
    cls
        The error class to raise.
    code, fmt
        The message key of the head and its values; the error's values then also hold ``n`` (how
        many problems) and ``problems`` (the lines listing them, as in the message).
    """
    problems = list(problems)
    if not problems:
        return
    shown = problems[:20]
    more = len(problems) - len(shown)
    lines = [f"{what}: {len(problems)} problem(s)"] + [f"  - {p}" for p in shown]
    if more:
        lines.append(f"  ... and {more} more")
    if code is None:
        raise cls("\n".join(lines))
    raise cls("\n".join(lines), code=code, n=len(problems), problems="\n".join(lines[1:]), **fmt)
