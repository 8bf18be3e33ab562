"""Who may do what, and which part of the district each user sees.

Roles (see :data:`app.storage.users.ROLES`) grant permissions (:data:`ROLE_PERMISSIONS`); a station user's
jurisdiction is enforced where the data are read, not route by route: :class:`ScopedWorkspace`
wraps a workspace so that every read returns only the rows of the user's station (by the layer's
``station_id`` column, or, for layers without one, by intersecting the station's area). Anything
built on a scoped workspace (maps, figures, the layer API, GeoJSON pages) therefore cannot show
another station's data, whichever id, bbox or filter is asked for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import PlannerError
from app.storage.workspace import LayerInfo, Workspace, WorkspaceInfo

__all__ = [
    "ANALYST_HIDDEN_LAYERS",
    "PERMISSIONS",
    "ROLE_PERMISSIONS",
    "ForbiddenError",
    "Principal",
    "ScopedWorkspace",
    "scoped",
]

#: What a permission lets a user do.
PERMISSIONS: dict[str, str] = {
    "view": "see pages, figures, maps and layers (a station user: only its jurisdiction)",
    "export": "see and download patrol routes and camera gap lists",
    "plan": "plan patrol routes and list camera gaps (a station user: for its own teams and area)",
    "approve": "approve shift plans (the approved plan of a unit replaces its earlier one)",
    "analyse": "run read-only analyses: backtests, monthly reports",
    "analyse_write": "run analyses that store layers in the workspace: hotspots, forecasts",
    "site": "choose sites for new cameras",
    "change_data": "import data, cut sub-zones, split coverage",
    "view_audit": "read the audit log",
    "manage_users": "add, change and remove users",
    "field": "carry a unit's plan on the phone page and send its GPS track (an officer: its own unit only)",
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "commander": frozenset(PERMISSIONS) - {"manage_users"},
    "station": frozenset({"view", "export", "plan", "field"}),
    "analyst": frozenset({"view", "analyse"}),
    "officer": frozenset({"field"}),
}
#: Layers an analyst may not read (they are the gap list and the routes: no exports of those).
ANALYST_HIDDEN_LAYERS = frozenset({"camera_gaps"})
#: Attribute tables (no geometry, no station column) a station user may read.
_STATION_TABLES = frozenset()
#: Workspace settings a station user sees (the others describe district-wide runs).
_STATION_META = frozenset({"schema_version", "name", "working_crs", "timezone", "created_at", "updated_at",
                           "categories"})
#: What a station user sees of a stored forecast's settings (``forecast_<cells>``): its date, horizon,
#: categories, method and how the method was chosen (the district's backtest hit rates).
_STATION_FORECAST_META = frozenset({"as_of", "horizon_days", "method", "categories", "choice"})
#: Layers a station user never sees, whatever their columns: the demo's generating truth.
_STATION_HIDDEN = frozenset({"demo_truth"})
#: District-wide features that cross stations (a brigade beat's main roads run through several): a
#: station user sees the part inside its area, not the whole beat across the district.
_STATION_CLIPPED = frozenset({"beats"})


class ForbiddenError(PlannerError):
    """The user's role does not allow this, or the data lie outside the user's jurisdiction."""


@dataclass(frozen=True)
class Principal:
    """A signed-in user: name, role and (station users) jurisdiction."""

    username: str
    role: str
    station_id: str | None = None
    display_name: str = ""
    demo: bool = False
    unit_id: str | None = None  # an officer's unit: the only plan it sees, the only track it sends

    @property
    def permissions(self) -> frozenset[str]:
        return ROLE_PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}")
        return permission in self.permissions

    @property
    def scoped(self) -> bool:
        """True when the user sees only one station's jurisdiction."""
        return self.role == "station"

    @property
    def scope_key(self) -> str:
        """A cache key: users with the same key see the same data."""
        if self.role == "station":
            return f"station:{self.station_id}"
        if self.role == "officer":
            return f"unit:{self.unit_id}"
        return "analyst" if self.role == "analyst" else "district"

    def may_read_layer(self, layer: str) -> bool:
        if self.role == "analyst" and layer in ANALYST_HIDDEN_LAYERS:
            return False
        if self.role == "station" and layer in _STATION_HIDDEN:
            return False
        return True


class ScopedWorkspace:
    """A read-only view of a workspace as one user may see it.

    For a station user every layer is cut to the station's jurisdiction: rows whose ``station_id``
    is the station's (rows without a station: those inside the station's area), layers without a
    ``station_id`` column by intersection with the station's area, and attribute tables without a
    station column are empty. Layers a role may not read (:meth:`Principal.may_read_layer`) are not
    listed, and reading one raises :class:`ForbiddenError`. Writing is not offered.
    """

    def __init__(self, ws: Workspace, principal: Principal):
        self._ws = ws
        self.principal = principal
        self._area: Any = None
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    # pass-through of the read-only attributes
    @property
    def path(self) -> Any:
        return self._ws.path

    @property
    def crs(self) -> Any:
        return self._ws.crs

    @property
    def timezone(self) -> str:
        return self._ws.timezone

    @property
    def name(self) -> str:
        return self._ws.name

    @property
    def meta(self) -> dict[str, str]:
        if self.principal.scoped:
            return {k: v for k, v in self._ws.meta.items() if k in _STATION_META}
        return self._ws.meta

    def meta_json(self, key: str, default: Any = None) -> Any:
        if self.principal.scoped and key.startswith("forecast_"):  # what a forecast is and how it did (its
            meta = self._ws.meta_json(key, default)  # watch list's honesty line), not what it was made of
            if not isinstance(meta, dict):
                return meta
            out = {k: v for k, v in meta.items() if k in _STATION_FORECAST_META}
            if isinstance(out.get("choice"), dict):
                out["choice"] = {k: v for k, v in out["choice"].items() if k != "key"}
            return out
        if self.principal.scoped and key not in _STATION_META:
            return default  # the summaries of district-wide runs
        return self._ws.meta_json(key, default)

    @property
    def unscoped(self) -> Workspace:
        """The whole workspace (for checks that never reach the user, e.g. a station's rank)."""
        return self._ws

    def layers(self) -> list[str]:
        return [n for n in self._ws.layers() if self.principal.may_read_layer(n)]

    def has(self, layer: str) -> bool:
        return self._ws.has(layer) and (layer == "meta" or self.principal.may_read_layer(layer))

    def _check(self, layer: str) -> None:
        if self._ws.has(layer) and not self.principal.may_read_layer(layer):
            raise ForbiddenError(f"a {self.principal.role} user may not read layer '{layer}'",
                                 code="access.layer", role=self.principal.role, layer=layer)

    def area(self) -> Any:
        """The station's jurisdiction (working CRS), or None for a district-wide user."""
        if not self.principal.scoped:
            return None
        with self._lock:
            if self._area is None:
                st = self._ws.read("stations") if self._ws.has("stations") else None
                if st is None or "station_id" not in st.columns:
                    raise ForbiddenError("the workspace has no stations layer: a station user's jurisdiction "
                                         "is unknown; ask an admin to import stations", code="access.no_stations")
                mine = st[st["station_id"].astype(str) == str(self.principal.station_id)]
                if mine.empty:
                    raise ForbiddenError(f"station {self.principal.station_id!r} of user "
                                         f"{self.principal.username!r} is not in the stations layer; ask an "
                                         f"admin to fix the user", code="access.unknown_station",
                                         station=str(self.principal.station_id), name=self.principal.username)
                geom = shapely.union_all(mine.geometry.to_numpy())
                shapely.prepare(geom)
                self._area = geom
            return self._area

    def read(self, layer: str, *, columns: list[str] | None = None, bbox: Any = None, where: str | None = None,
             skip_features: int = 0, max_features: int | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        """Read a layer as this user may see it (pagination applies after the jurisdiction cut).

        Raises
        ------
        ForbiddenError
            When the role may not read the layer.
        WorkspaceError
            When there is no such layer.
        """
        self._check(layer)
        if not self.principal.scoped:
            return self._ws.read(layer, columns=columns, bbox=bbox, where=where, skip_features=skip_features,
                                 max_features=max_features)
        if layer == "meta":  # the same keys as :attr:`meta`: not the summaries of district-wide runs
            frame = self._ws.read(layer, columns=columns, bbox=bbox, where=where)
            frame = frame[frame["key"].astype(str).isin(_STATION_META)] if "key" in frame.columns else frame.iloc[0:0]
            stop = None if max_features is None else skip_features + max_features
            return frame.iloc[skip_features:stop].reset_index(drop=True)
        area = self.area()
        frame = self._ws.read(layer, bbox=bbox, where=where)
        frame = self._cut(frame, area)
        if layer in _STATION_CLIPPED and isinstance(frame, gpd.GeoDataFrame) and len(frame):
            frame = frame.copy()
            frame[frame.geometry.name] = shapely.intersection(frame.geometry.to_numpy(), area)
            frame = frame[~frame.geometry.is_empty]
            frame.attrs["clipped_to_scope"] = True  # its geometries are not the whole layer's
        if columns is not None:
            keep = [c for c in columns if c in frame.columns]
            if isinstance(frame, gpd.GeoDataFrame):
                keep.append(frame.geometry.name)
            frame = frame[keep]
        if skip_features or max_features is not None:
            stop = None if max_features is None else skip_features + max_features
            frame = frame.iloc[skip_features:stop]
        return frame.reset_index(drop=True) if (skip_features or max_features is not None) else frame

    def _cut(self, frame: pd.DataFrame, area: Any) -> pd.DataFrame:
        sid = str(self.principal.station_id)
        geo = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns
        if "station_id" in frame.columns:
            st = frame["station_id"]
            keep = (st.astype("string") == sid).fillna(False).to_numpy(bool)
            if geo:
                unknown = st.isna().to_numpy() | (st.astype("string") == "").fillna(False).to_numpy(bool)
                if unknown.any():
                    inside = np.zeros(len(frame), bool)
                    inside[unknown] = shapely.intersects(area, frame.geometry.to_numpy()[unknown])
                    keep |= inside
            return frame[keep]
        if geo:
            return frame[shapely.intersects(area, frame.geometry.to_numpy())]
        return frame.iloc[0:0]

    def count(self, layer: str) -> int:
        if not self.principal.scoped:
            self._check(layer)
            return self._ws.count(layer)
        if layer not in self._counts:
            self._counts[layer] = len(self.read(layer))
        return self._counts[layer]

    def info(self) -> WorkspaceInfo:
        full = self._ws.info()
        layers = []
        for li in full.layers:
            if not self.principal.may_read_layer(li.name):
                continue
            if self.principal.scoped:
                frame = self.read(li.name)
                n = len(frame)
                bounds = (tuple(float(b) for b in frame.total_bounds)
                          if isinstance(frame, gpd.GeoDataFrame) and n else None)
                li = LayerInfo(li.name, li.geometry_type, n, bounds)  # type: ignore[arg-type]
                self._counts[li.name] = n
            layers.append(li)
        extent = full.extent_wgs84
        if self.principal.scoped:
            b = self.area().bounds
            from pyproj import Transformer

            tr = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
            extent = tuple(float(v) for v in tr.transform_bounds(*b))  # type: ignore[assignment]
        meta = full.meta if not self.principal.scoped else {
            k: v for k, v in full.meta.items() if k in _STATION_META}
        return WorkspaceInfo(path=full.path, crs=full.crs, timezone=full.timezone, schema_version=full.schema_version,
                             layers=tuple(layers), extent_wgs84=extent, meta=meta)

    def write(self, *_: Any, **__: Any) -> Any:
        raise ForbiddenError("a user's view of the workspace is read-only; jobs write to the workspace itself",
                         code="access.read_only")


def scoped(ws: Workspace, principal: Principal | None) -> Workspace | ScopedWorkspace:
    """``ws`` as ``principal`` may see it (``ws`` itself for a district-wide role with nothing hidden)."""
    if principal is None:
        return ws
    return ScopedWorkspace(ws, principal)
