"""Cameras (探头): view polygons, coverage, the gap list and siting of new cameras.

* :mod:`geo.cameras.views`: view sectors from vertices, cut by building shadows.
* :mod:`geo.cameras.coverage`: metres of street, area and entrances of neighborhoods, sub-zones,
  cells and incidents seen.
* :mod:`geo.cameras.gaps`: the ranked gap list with suggested camera positions.
* :mod:`geo.cameras.siting`: sparse maximal covering / set covering (exact CBC or HiGHS, lazy greedy
  plus swaps) on a coverage matrix (array core).
* :mod:`geo.cameras.plan`: candidates and siting on district layers (GeoDataFrame adapter).
* :mod:`geo.cameras.export`: CSV (Excel-safe) / XLSX / GeoJSON writers with en / zh-CN headers.
"""

from geo.cameras.coverage import (
    CameraCoverage,
    SeenIntervals,
    area_coverage,
    area_seen_m2,
    camera_coverage,
    incident_coverage,
    line_seen_m,
    neighborhood_coverage,
    neighborhood_entrances,
    one_copy_per_street,
    points_seen,
    resolve_risk,
    seen_between,
    seen_intervals,
    street_coverage,
)
from geo.cameras.export import HEADERS, VALUES, csv_safe, translate, write_table
from geo.cameras.gaps import GAP_COLUMNS, GAP_KINDS, bearing_between, camera_gaps, split_lines
from geo.cameras.plan import PLAN_COLUMNS, SitingPlan, candidate_sites, site_cameras
from geo.cameras.siting import SitingResult, coverage_matrix, objective_of, solve_mclp, solve_set_cover
from geo.cameras.views import KIND_DEFAULTS, camera_views, resolve_view_parameters, sector_polygons, view_polygons

__all__ = [
    "KIND_DEFAULTS", "camera_views", "resolve_view_parameters", "sector_polygons", "view_polygons",
    "CameraCoverage", "SeenIntervals", "area_coverage", "area_seen_m2", "camera_coverage",
    "incident_coverage", "line_seen_m", "neighborhood_coverage", "neighborhood_entrances",
    "one_copy_per_street", "points_seen", "resolve_risk", "seen_between", "seen_intervals",
    "street_coverage",
    "GAP_COLUMNS", "GAP_KINDS", "bearing_between", "camera_gaps", "split_lines",
    "PLAN_COLUMNS", "SitingPlan", "candidate_sites", "site_cameras",
    "SitingResult", "coverage_matrix", "objective_of", "solve_mclp", "solve_set_cover",
    "HEADERS", "VALUES", "csv_safe", "translate", "write_table",
]
