"""Forecast method names and the parameters of the ``shrinkage`` method."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

__all__ = ["BASELINES", "DEFAULT_METHOD", "DEFAULT_SHRINKAGE", "METHODS", "ShrinkageParams"]

METHODS = ("naive_recent", "naive_since_jan", "naive_long", "naive_all", "last_year", "decayed_long", "retro_kde",
           "prospective", "decayed", "blend", "shrinkage", "boosted")
DEFAULT_METHOD = "shrinkage"
#: Counting, the forecasts a model must beat: the last 4 and 52 weeks, the year so far, the same
#: weeks a year before, every incident of the history (``naive_all``) and counts decayed over years
#: (``decayed_long``: long-term counts are hard to beat, the literature says).
BASELINES = ("naive_recent", "naive_since_jan", "naive_long", "naive_all", "last_year", "decayed_long")
#: ``shrinkage`` params that ask for tuning instead of fixed values.
_TUNING_KEYS = ("tune_weeks", "retune_every", "retune_window")
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ShrinkageParams:
    """Parameters of the ``shrinkage`` method.

    bandwidth_m
        Gaussian kernel bandwidth of the neighbourhood smoothing (m).
    alpha_weeks
        Prior weight in weeks (0: plain counts).
    tau_weeks
        Decay time of the counts (``inf``: no decay).
    prospective
        Share of a prospective (near-repeat) term, its scores rescaled to the counts' total.
    history_weeks
        How far back the counts go.
    """

    bandwidth_m: float = 150.0
    alpha_weeks: float = 4.0
    tau_weeks: float = math.inf
    prospective: float = 0.0
    history_weeks: int = 52


#: Defaults: what :func:`tune_shrinkage` picks on weeks 2-13 of Vancouver thefts 2020 (150 m cells
#: over the points' hull; tested in tests/geo/test_forecast.py). Re-tune on your own data with
#: :func:`tune_shrinkage`, or let ``params={"retune_window": 13}`` tune on the 13 weeks before.
DEFAULT_SHRINKAGE = ShrinkageParams()
