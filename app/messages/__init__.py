"""Message catalogues merged into :data:`app.i18n.MESSAGES` (each module: ``MESSAGES``, key ->
``{"zh-CN": ..., "en": ...}``).

``errors_*`` hold ``error.<code>``: what the pages and the command line say for an error the core
raised with ``code=...`` (see :class:`geo.errors.PlannerError`), in words both shells understand —
never a command-line flag. ``stages`` names the steps of long work (``progress(stage, fraction)``).
This package imports nothing; :mod:`app.i18n` imports its modules.
"""
