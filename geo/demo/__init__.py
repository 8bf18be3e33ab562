"""The deterministic synthetic demo district, modelled on Yushui district (渝水区), Xinyu, Jiangxi.

``build_demo()`` returns every workspace layer of a district in EPSG:4547: the real Yushui boundary,
an urban core of about 8 km x 10 km (x sqrt(scale) per side) with a jittered road network, the Yuan
River (袁河) crossed by a few bridges, police stations, communities, compounds (小区),
1,979 sub-zones (小片区), cameras, patrol units and three years of incidents from a self-exciting
(Hawkes) model whose trend reproduces the figures of the article after the "1234" method is adopted
on 2025-01-01.

The same ``seed``, ``as_of`` and ``scale`` always give identical layers: each stage draws from its
own random sub-stream, and nothing depends on set order, the clock (apart from the default
``as_of``) or global state. The generating intensity is kept (layer ``demo_truth`` and
``meta['demo_truth']``) so forecasts can be scored against the truth with :func:`expected_counts`;
the model and its trend bookkeeping are described in :mod:`geo.demo._incidents`.

Layers beyond the required ones: ``buildings`` (rows of residential slabs inside the compounds,
for camera line of sight), ``demo_truth`` (150 m truth cells, see :class:`TruthModel`) and
``water`` (the Yuan River polygon, for maps).

Columns beyond the schema
-------------------------
road_edges: ``way_id`` (the synthetic way a piece belongs to); incidents: ``main_road`` (street
incident on a trunk/primary/secondary road), ``truth_cell_id``, ``generation`` (0 = background
event, n = n-th generation near-repeat offspring); cameras: ``station_id``; units: ``headcount``;
neighborhoods: ``vulnerability`` (relative risk used by the generator); communities: ``households``;
buildings: ``neighborhood_id``.

Units: the 80 Skynet guards (天网巡防员) are 80 units of one guard each, counted as
``auxiliaries=1``; volunteer teams hold 3,120 volunteers in all (x scale).

Modules (each imports only the ones before it; this package imports them, never the reverse):
:mod:`geo.demo._names` (place names), :mod:`geo.demo._common` (boundary, random streams, geometry
helpers), :mod:`geo.demo._roads`, :mod:`geo.demo._areas`, :mod:`geo.demo._assets`,
:mod:`geo.demo._incidents` (the truth model) and :mod:`geo.demo._build` (:func:`build_demo`).
"""

from __future__ import annotations

from geo.demo._build import GENERATOR_VERSION, DemoDistrict, build_demo, default_as_of
from geo.demo._incidents import TruthModel, expected_counts

__all__ = [
    "GENERATOR_VERSION",
    "DemoDistrict",
    "TruthModel",
    "build_demo",
    "default_as_of",
    "expected_counts",
]
