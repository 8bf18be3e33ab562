"""The split: main roads to the special patrol brigade, neighborhoods to the police stations.

The article's joint patrol network (特巡警大队 patrols main roads, 派出所 patrol residential
neighborhoods) as data:

* :func:`assign_edge_owners` gives every road edge exactly one owner: the brigade for main roads,
  else the station whose jurisdiction holds the edge (jurisdiction polygons, or network Voronoi
  cells around the station sites by travel time where there are no polygons).
* :func:`derive_jurisdictions` draws those network Voronoi cells as polygons.
* :func:`brigade_beats` cuts the main-road network into ``k`` connected beats of balanced workload.
* :func:`grid_team_areas` groups each station's neighborhoods into contiguous areas, one per
  "1+2+N" grid team (1 officer + 2 auxiliaries + N volunteers), balanced by households.
* :func:`split_summary` and :func:`split_layers` turn it all into tables and layers to write.

Everything is pure: inputs are never modified. All geometry is in the graph's projected working
CRS (metres); lengths are ``*_m`` (metres) or ``*_km``, times ``*_s`` (seconds).

Modules: :mod:`~routing.split.net` (the graph as arrays, road segments),
:mod:`~routing.split.owners` (edge owners, jurisdictions), :mod:`~routing.split.partition` (the
balanced connected partitioning behind beats and areas), :mod:`~routing.split.beats`,
:mod:`~routing.split.teams` (grid-team areas), :mod:`~routing.split.summary` and
:mod:`~routing.split.layers` (the whole split of a workspace).
"""

from __future__ import annotations

from routing.split.beats import beat_table, brigade_beats
from routing.split.layers import split_layers
from routing.split.net import edge_segments
from routing.split.owners import assign_edge_owners, derive_jurisdictions
from routing.split.partition import DEFAULT_FRAGMENT_SHARE, DEFAULT_MAX_RATIO
from routing.split.summary import split_summary
from routing.split.teams import (
    DEFAULT_ADJACENCY_M,
    DEFAULT_HOUSEHOLDS_PER_TEAM,
    assign_grid_teams,
    grid_team_areas,
    grid_teams_per_station,
)

__all__ = [
    "DEFAULT_MAX_RATIO",
    "DEFAULT_ADJACENCY_M",
    "DEFAULT_HOUSEHOLDS_PER_TEAM",
    "DEFAULT_FRAGMENT_SHARE",
    "edge_segments",
    "assign_edge_owners",
    "derive_jurisdictions",
    "brigade_beats",
    "beat_table",
    "grid_teams_per_station",
    "assign_grid_teams",
    "grid_team_areas",
    "split_summary",
    "split_layers",
]
