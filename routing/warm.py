"""Compile the planner's numba kernels once, at set-up (``make setup`` runs ``python -m routing.warm``).

The kernels are compiled with ``cache=True``: the first use on a machine compiles them (some
seconds) and writes them beside their modules; later processes load them. Running this at set-up
keeps that first compilation out of a commander's first plan.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from routing.nearest_paths import distances_among
from routing.patrol.orienteering import solve_orienteering

__all__ = ["warm"]


def warm() -> float:
    """Run each kernel once on a tiny input; returns the seconds it took."""
    t0 = time.perf_counter()
    transit = np.array([[0, 60, 60], [60, 0, 60], [60, 60, 0]], dtype=np.int64)
    solve_orienteering(transit, np.array([0.0, 1.0, 2.0]), 600, shakes=2)
    csr = sparse.csr_matrix((np.array([1.0, 1.0]), (np.array([0, 1]), np.array([1, 2]))), shape=(3, 3))
    distances_among(csr, np.arange(3), np.array([0, 2]))
    return time.perf_counter() - t0


if __name__ == "__main__":  # pragma: no cover - run by make setup
    print(f"patrolnet: planner kernels ready ({warm():.1f} s)")
