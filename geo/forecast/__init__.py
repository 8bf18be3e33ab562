"""Short-term risk forecasts per cell, street segment or sub-zone, and their honest backtest.

A forecast ranks places by the incidents expected in the next ``horizon_days`` from the history
before the forecast origin. The methods, all computed from the same point data:

``naive_recent``
    Counts of the last 4 weeks.
``naive_since_jan``
    Counts since 1 January of the year of the last day of data.
``naive_long``
    Counts of the last 52 weeks (long-term counts).
``naive_all``
    Counts of the whole history before the origin (all-history counts).
``last_year``
    Counts in the same weeks one year (52 weeks) earlier, widened by 2 weeks on each side.
``decayed_long``
    Exponentially decayed counts with a long memory, tau 104 weeks (two years).
``retro_kde``
    Retrospective hotspotting: Gaussian kernel density (150 m) of the last 13 weeks, at each
    place's centre.
``prospective``
    Prospective hotspotting (Bowers, Johnson & Pease 2004), in open_cp's classic grid form: each
    incident of the last 8 weeks adds ``1 / (1 + d) * 1 / (1 + w)`` to every cell within 400 m,
    ``d`` the distance in cells (Chebyshev, grid cells; Euclidean / ``cell_m`` for other places)
    and ``w`` the whole weeks since it.
``decayed``
    Exponentially decayed counts, ``exp(-age / tau)``, tau 13 weeks.
``blend``
    A weighted sum of other methods' scores, each normalised to sum to one (e.g.
    ``{"naive_since_jan": 0.75, "prospective": 0.25}``).
``shrinkage`` (the default)
    Empirical-Bayes shrinkage of long-term counts toward their kernel-smoothed neighbourhood: with
    ``n_i`` the (optionally decayed) counts of place ``i`` over ``T`` weeks and ``S_i`` the same
    incidents' Gaussian kernel density (bandwidth ``bandwidth_m``) integrated over the place, the
    Poisson-Gamma posterior mean rate is ``(n_i + alpha * S_i / T) / (T + alpha)``: a place with few
    incidents borrows strength from its neighbours, and the borrowing fades as history accumulates
    (``alpha`` is the prior's weight in weeks). A small prospective (near-repeat) term can be
    added (``prospective`` share). Its parameters are chosen by :func:`tune_shrinkage` on early
    weeks only.

Scoring (:func:`score_ranking`): places are flagged in rank order until ``coverage`` of the total
area (street length for segments) is reached; the place that crosses the budget, and places tied
in score at the cut, are counted fractionally (the expected result under a random order of ties),
so the flagged share is exactly ``coverage`` and ties cannot flatter or hurt a method. Hit rate =
share of the period's incidents in flagged places; PAI = hit rate / flagged share; PEI = hits /
the most hits any flagging of the same share could have caught.

Evidence (``bench/stages_hotspots.py``, Vancouver thefts 2020, 150 m cells over the points' hull,
weeks 14-52, parameters tuned on weeks 2-13 only): long-term counts are hard to beat. ``shrinkage``
matches ``naive_since_jan`` at 1-5 % of the area (5 %: .492 vs .490, +14 hits of 11,139, paired
standard error 10; 1-2 %: 12-15 hits fewer, within noise) and beats it at 10 % (.608 vs .602, +69
hits, standard error 13). Even long-term counts of the whole year except the target week would only
reach .501 at 5 %: there is little left to win at that coverage.

Times are read as local wall-clock times of the incidents' own time zone. All coordinates are in
the working CRS (metres).

Modules
-------
:mod:`~geo.forecast.params` (method names, :class:`ShrinkageParams`), :mod:`~geo.forecast.places`
(:func:`grid_cells` and the places ranked), :mod:`~geo.forecast.design` (incidents located on the
places, kernel matrices), :mod:`~geo.forecast.methods` (the methods' scores),
:mod:`~geo.forecast.predict` (:func:`forecast`), :mod:`~geo.forecast.scoring`
(:func:`score_ranking`), :mod:`~geo.forecast.tuning` (:func:`tune_shrinkage`),
:mod:`~geo.forecast.backtest` (:func:`backtest`) and :mod:`~geo.forecast.oracle`
(:func:`demo_oracle`).
"""

from __future__ import annotations

from .backtest import MethodSpec, backtest
from .methods import history_days
from .oracle import demo_oracle
from .params import BASELINES, DEFAULT_METHOD, DEFAULT_SHRINKAGE, METHODS, ShrinkageParams
from .places import grid_cells
from .predict import forecast
from .scoring import score_ranking
from .tuning import tune_shrinkage

__all__ = [
    "BASELINES",
    "DEFAULT_METHOD",
    "DEFAULT_SHRINKAGE",
    "METHODS",
    "MethodSpec",
    "ShrinkageParams",
    "backtest",
    "demo_oracle",
    "forecast",
    "grid_cells",
    "history_days",
    "score_ranking",
    "tune_shrinkage",
]
