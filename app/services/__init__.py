"""The service layer: one module per use case, called by the command line (:mod:`app.cli`) and the
web app (:mod:`app.web`) alike, each holding every rule of its use case once.

* :mod:`~app.services.params` -- the rules of a request both shells apply (day, shift, month, last
  day of data, grid size, station scope);
* :mod:`~app.services.workspace` -- the demo district and its users, a new workspace (``init``);
* :mod:`~app.services.imports` -- a table into a layer (a backup first);
* :mod:`~app.services.grid`, :mod:`~app.services.split` -- sub-zones, the coverage split;
* :mod:`~app.services.hotspots`, :mod:`~app.services.forecast` -- hotspots, forecast and backtest;
* :mod:`~app.services.routes` -- shift plans;
* :mod:`~app.services.cameras` -- camera coverage, gaps and siting;
* :mod:`~app.services.reports` -- the monthly report, built and written in one call;
* :mod:`~app.services.backups` -- backup, list, restore, and the backup before an import or rebuild.

The use-case functions are also reachable here (``app.services.routes_job``), loaded on first use so
that importing one service does not import them all.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> the module that holds it.
_EXPORTS = {
    "build_demo_workspace": "workspace", "ensure_demo_users": "workspace", "init_workspace": "workspace",
    "open_workspace": "workspace", "open_demo_workspace": "workspace", "DEMO_USERS": "workspace", "known_ids": "workspace",
    "import_file": "imports", "import_table": "imports", "read_boundary": "imports",
    "grid_workspace": "grid", "split_workspace": "split", "risk_weights": "split",
    "hotspots_job": "hotspots", "write_ascii_grid": "hotspots",
    "forecast_job": "forecast", "backtest_job": "forecast", "forecast_edge_risk": "forecast",
    "routes_job": "routes", "ROUTE_FORMATS": "routes",
    "camera_coverage_job": "cameras", "camera_gaps_job": "cameras", "camera_siting_job": "cameras",
    "hot_cells": "cameras", "write_camera_layers": "cameras",
    "build_monthly_report": "reports", "make_report": "reports",
    "backup": "backups", "restore": "backups", "backup_before": "backups",  # (list: app.services.backups.backups)
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'app.services' has no attribute {name!r}")
    return getattr(importlib.import_module(f"app.services.{module}"), name)
