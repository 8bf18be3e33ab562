"""Model neighborhoods (示范小区): zero-incident or controlled, per neighborhood and per police office."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo.errors import InputError

from .counting import _counts_column, _model_kind, _name_en, _whole, compare_changes, count_matrix
from .measures import MEASURES
from .windows import Window

__all__ = ["model_tracker"]


def model_tracker(
    incidents: pd.DataFrame,
    *,
    windows: Mapping[str, Window],
    neighborhoods: pd.DataFrame,
    communities: pd.DataFrame,
    controlled_share: float = 0.5,
    measure: str = "two_robberies_one_theft",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Model neighborhoods (示范小区): status of every neighborhood and of every police office.

    Parameters
    ----------
    incidents
        Prepared incidents.
    windows
        Needs ``last_12m`` and ``previous_12m``.
    neighborhoods, communities
        The layers (``model_kind`` non-empty marks a designated model neighborhood).
    controlled_share
        A neighborhood is *controlled* when its count fell by at least this share (0 < share <= 1).
    measure
        What counts as an incident for the criteria (default 两抢一盗).

    Returns
    -------
    (neighborhoods, offices)
        ``neighborhoods``: station_id, community_id, community_name, office_name, neighborhood_id,
        name, name_en, households, model_kind, designated, last_12m, previous_12m, change, status
        (``zero`` | ``controlled`` | ``not_met`` | ``unknown``), meets (bool), assessment
        (``designated_meets`` | ``designated_fails`` | ``candidate`` | ``none``).
        ``offices`` (one row per community police office): station_id, community_id, name,
        name_en, office_name, neighborhoods, designated, designated_meeting, designated_names,
        designated_failing_names, candidates, candidate_names, flag (``no_designated_model`` |
        ``designated_not_meeting`` | ``ok``), flagged (bool); flagged offices first.

    Raises
    ------
    InputError
        When ``controlled_share`` is not in (0, 1].
    """
    if not 0 < controlled_share <= 1:
        raise InputError(
            f"controlled_share={controlled_share!r}: give the required fall as a share in (0, 1], e.g. 0.5 for 50 %",
            code="param.controlled_share", value=str(controlled_share),
        )
    nb = neighborhoods
    ids = nb["neighborhood_id"].astype(str)
    wins = {k: windows[k] for k in ("last_12m", "previous_12m")}
    cm = count_matrix(incidents, level="neighborhood", measures={measure: MEASURES[measure]}, windows=wins, units=ids)
    last = cm[(measure, "last_12m")].to_numpy()
    prev = cm[(measure, "previous_12m")].to_numpy()
    prev_ok = wins["previous_12m"].covered
    com = communities.set_index(communities["community_id"].astype(str))
    mk = _model_kind(nb)
    out = pd.DataFrame(
        {
            "station_id": nb["station_id"].astype(str).to_numpy(),
            "community_id": nb["community_id"].astype(str).to_numpy(),
            "neighborhood_id": ids.to_numpy(),
            "name": nb["name"].astype(str).to_numpy(),
            "name_en": _name_en(nb).astype(str).to_numpy(),
            "households": _whole(nb["households"] if "households" in nb.columns
                                 else pd.Series(np.nan, index=nb.index)).to_numpy(),
            "model_kind": mk.astype(str).to_numpy(),
            "designated": (mk != "").to_numpy(dtype=bool),
            "last_12m": last,
            "previous_12m": _counts_column(prev, prev_ok).to_numpy(),
        }
    )
    out.insert(2, "community_name", out["community_id"].map(com["name"].astype(str)).to_numpy())
    office = com["office_name"].astype(str) if "office_name" in com.columns else com["name"].astype(str)
    out.insert(3, "office_name", out["community_id"].map(office).to_numpy())
    ch = compare_changes(last, prev, baseline_covered=prev_ok)
    out["change"] = ch["change"].to_numpy()
    controlled = prev_ok & (prev > 0) & (last <= (1 - controlled_share) * prev + 1e-9)
    status = np.select(
        [last == 0, controlled, np.full(len(out), not prev_ok)],
        ["zero", "controlled", "unknown"],
        "not_met",
    )
    out["status"] = status
    out["meets"] = np.isin(status, ["zero", "controlled"])
    d, m = out["designated"].to_numpy(), out["meets"].to_numpy()
    out["assessment"] = np.select(
        [d & m, d & ~m, ~d & m], ["designated_meets", "designated_fails", "candidate"], "none"
    )
    out = out.sort_values(["station_id", "community_id", "designated", "neighborhood_id"],
                          ascending=[True, True, False, True], kind="stable").reset_index(drop=True)

    # per office: counts and names by group (a loop over communities' groups, not incidents)
    g = out.groupby("community_id", sort=True)
    agg = pd.DataFrame(
        {
            "neighborhoods": g.size(),
            "designated": g["designated"].sum(),
            "designated_meeting": g["assessment"].agg(lambda s: int((s == "designated_meets").sum())),
            "candidates": g["assessment"].agg(lambda s: int((s == "candidate").sum())),
        }
    )

    def names(assessment: str, col: str, sep: str) -> pd.Series:
        sub = out[out["assessment"] == assessment]
        return sub.groupby("community_id")[col].agg(sep.join)

    offices = pd.DataFrame(
        {
            "station_id": communities["station_id"].astype(str).to_numpy(),
            "community_id": communities["community_id"].astype(str).to_numpy(),
            "name": communities["name"].astype(str).to_numpy(),
            "name_en": _name_en(communities).astype(str).to_numpy(),
            "office_name": (communities["office_name"] if "office_name" in communities.columns
                            else communities["name"]).astype(str).to_numpy(),
        }
    )
    key = offices["community_id"]
    for col in ("neighborhoods", "designated", "designated_meeting", "candidates"):
        offices[col] = key.map(agg[col]).fillna(0).astype(np.int64).to_numpy()
    for col, (assessment, sep, src) in {
        "designated_names": ("designated_meets", "、", "name"),
        "designated_failing_names": ("designated_fails", "、", "name"),
        "candidate_names": ("candidate", "、", "name"),
    }.items():
        mapped = key.map(names(assessment, src, sep)).astype(object)
        offices[col] = mapped.where(mapped.notna(), "").to_numpy()
    offices["flag"] = np.select(
        [offices["designated"] == 0, offices["designated_meeting"] == 0],
        ["no_designated_model", "designated_not_meeting"],
        "ok",
    )
    offices["flagged"] = offices["flag"] != "ok"
    offices = offices.sort_values(["flagged", "station_id", "community_id"], ascending=[False, True, True],
                                  kind="stable").reset_index(drop=True)
    # columns of the office table: move candidate columns to the end for reading
    offices = offices[["station_id", "community_id", "name", "name_en", "office_name", "neighborhoods",
                       "designated", "designated_meeting", "designated_names", "designated_failing_names",
                       "candidates", "candidate_names", "flag", "flagged"]]
    return out, offices
