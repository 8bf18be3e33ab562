"""Progress reports: the one signature every long step of patrolnet calls back with."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "no_progress"]

#: ``progress(stage, fraction)``: ``stage`` is the step's English name (``"plan"``, ``"write"``);
#: the shells say it in the user's language (``app.i18n.stage_label``: ``stage.<name>``);
#: ``fraction`` in [0, 1].
Progress = Callable[[str, float], None]


def no_progress(stage: str, fraction: float) -> None:
    """A :data:`Progress` that reports nothing."""
