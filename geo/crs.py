"""CRS checks shared by the core: metric work refuses degrees with an error that names the fix."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from pyproj import CRS

from geo.errors import CRSError

__all__ = ["require_metric", "require_projected"]


def require_metric(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> None:
    """Raise :class:`CRSError` unless ``frame`` has a projected CRS (metres).

    Parameters
    ----------
    frame
        The layer to check.
    what
        How to call it in the message (e.g. ``"incidents"``).
    """
    if frame.crs is None:
        raise CRSError(f"{what} has no CRS; set it with .set_crs(...) (a projected CRS in metres)")
    if not frame.crs.is_projected:
        raise CRSError(
            f"{what} is in {frame.crs.to_string()} (degrees); distances and areas need metres: "
            f"reproject with .to_crs(working_crs), e.g. .to_crs('EPSG:4547')"
        )


def require_projected(crs: Any, what: str) -> CRS:
    """Return ``crs`` as a :class:`pyproj.CRS`; raise :class:`CRSError` unless it is projected (metres).

    The check of a bare CRS (of a graph, a layer's ``.crs`` or a user's text); :func:`require_metric`
    checks a frame.
    """
    if crs is None:
        raise CRSError(f"{what} has no CRS; set it with .set_crs(...) (a projected CRS in metres)")
    obj = CRS.from_user_input(crs)
    if not obj.is_projected:
        raise CRSError(
            f"{what} is in {obj.to_string()} (degrees); distances and areas need metres: "
            f"reproject with .to_crs(working_crs), e.g. .to_crs('EPSG:4547')"
        )
    return obj
