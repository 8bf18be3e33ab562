"""Hotspots: kernel density, counts and rates per area, Getis-Ord Gi*, time profiles, near repeats.

Everything works in the workspace's projected working CRS (metres); functions that take a
GeoDataFrame refuse geographic coordinates with a :class:`~geo.errors.CRSError` naming
``.to_crs(...)``. The array functions are the core; the ``*_frame`` / layer functions are thin
adapters. Inputs are never modified.

Kernel density (:func:`kde_grid`)
---------------------------------
Gaussian kernel, fixed bandwidth ``bandwidth_m`` (the standard deviation of each axis), evaluated at
the centres of a regular grid of ``cell_m`` cells. The points are linearly binned (bilinear
"cloud-in-cell" weights) onto a grid ``oversample`` times finer than the output grid, convolved with
the Gaussian sampled on that fine grid and truncated at ``truncate`` standard deviations, by FFT
(:mod:`scipy.fft`, the kernel's transform built from its two 1-D factors), and read back at the
output cell centres. Points up to ``truncate`` bandwidths outside the bounds still count.

Error bound: linear binning replaces each point's kernel by its bilinear interpolant between fine
grid nodes, an error of at most ``(delta / h)**2 / 4`` times the kernel's peak (``delta`` the fine
cell, ``h`` the bandwidth); the truncation adds at most ``exp(-truncate**2 / 2)`` (3.7e-6 at 5).
By default ``oversample`` is chosen so that ``delta <= h / 20``: the maximum absolute error is then
below ``6.3e-4 + 3.7e-6`` of the largest kernel peak times the largest weight, which is at most
the density's maximum for a single point and far less for real data (tested below 1e-3 of the
density's peak at ``cell_m <= bandwidth_m / 2``, for a single point in the worst position as well as
for clustered points).

Units: expected incidents per km2 (the kernel integrates to one, so the density integrates to the
number of points, or the sum of the weights, over the plane).

Modules
-------
:mod:`~geo.hotspots.inputs` (checks, :func:`select_incidents`), :mod:`~geo.hotspots.kde` (grid and
kernel density, bandwidths), :mod:`~geo.hotspots.areas` (counts per sub-zone and neighborhood),
:mod:`~geo.hotspots.segments` (street segments and counts per segment), :mod:`~geo.hotspots.gistar`
(Gi* with FDR), :mod:`~geo.hotspots.profiles` (time profiles) and :mod:`~geo.hotspots.knox` (Knox
test, near repeats).
"""

from __future__ import annotations

from .areas import counts_by_neighborhood, counts_by_subzone
from .gistar import (
    benjamini_hochberg,
    getis_ord_gi_star,
    segment_hotspots,
    segment_weights,
    subzone_hotspots,
    subzone_weights,
)
from .inputs import select_incidents
from .kde import (
    GridSpec,
    choose_bandwidth,
    incident_density,
    kde_at,
    kde_exact,
    kde_grid,
    scott_bandwidth,
)
from .knox import KnoxResult, incident_xyt, knox_test, near_repeat_table
from .profiles import time_profile
from .segments import counts_by_segment, street_segments

__all__ = [
    "GridSpec",
    "KnoxResult",
    "benjamini_hochberg",
    "choose_bandwidth",
    "counts_by_neighborhood",
    "counts_by_segment",
    "counts_by_subzone",
    "getis_ord_gi_star",
    "incident_density",
    "incident_xyt",
    "kde_at",
    "kde_exact",
    "kde_grid",
    "knox_test",
    "near_repeat_table",
    "scott_bandwidth",
    "segment_hotspots",
    "segment_weights",
    "select_incidents",
    "street_segments",
    "subzone_hotspots",
    "subzone_weights",
    "time_profile",
]
