"""CRS checks shared by the core: metric work refuses degrees with an error that names the fix."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from pyproj import CRS

from geo.errors import CRSError

__all__ = ["require_metric", "require_projected"]

#: What to do about a layer in degrees, unless the caller knows better.
_REPROJECT = "reproject with .to_crs(working_crs), e.g. .to_crs('EPSG:4547')"


def _no_crs(what: str) -> CRSError:
    return CRSError(f"{what} has no CRS; set it with .set_crs(...) (a projected CRS in metres)",
                    code="crs.missing", what=what)


def _in_degrees(what: str, crs: CRS, fix: str | None) -> CRSError:
    return CRSError(
        f"{what} is in {crs.to_string()} (geographic, degrees); distances and areas need a projected "
        f"CRS in metres: {fix or _REPROJECT}",
        code="crs.degrees", what=what, crs=crs.to_string(),
    )


def require_metric(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str, *, fix: str | None = None) -> None:
    """Raise :class:`CRSError` unless ``frame`` has a projected CRS (metres).

    Parameters
    ----------
    frame
        The layer to check.
    what
        How to call it in the message (e.g. ``"incidents"``).
    fix
        What the user should do when the layer is in degrees (default: reproject it with
        ``.to_crs``).
    """
    if frame.crs is None:
        raise _no_crs(what)
    if not frame.crs.is_projected:
        raise _in_degrees(what, frame.crs, fix)


def require_projected(crs: Any, what: str, *, fix: str | None = None) -> CRS:
    """Return ``crs`` as a :class:`pyproj.CRS`; raise :class:`CRSError` unless it is projected (metres).

    The check of a bare CRS (of a graph, a layer's ``.crs`` or a user's text); :func:`require_metric`
    checks a frame. ``fix`` as for :func:`require_metric`.
    """
    if crs is None:
        raise _no_crs(what)
    obj = CRS.from_user_input(crs)
    if not obj.is_projected:
        raise _in_degrees(what, obj, fix)
    return obj
