"""Errors of the plans: responsibility split, patrol routes and shifts, cameras (``error.<code>``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
}
