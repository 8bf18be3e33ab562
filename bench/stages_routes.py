"""Benchmark stages of patrol routing, beside their peers on the same inputs.

* ``routes.postman``: directed postman tours on jittered grids (3,025 and 29,929 nodes, 10 % one-way
  streets, main roads every 5th line; the ANCHORS instance), patrolnet's OR-Tools min-cost flow and
  Hierholzer circuit; peer ``networkx min_cost_flow`` (network simplex + ``eulerian_circuit``) on the
  same network, checked to reach the same optimum.
* ``routes.orienteering``: a "1+2+N" loop on a 400-node walking grid with 60 prizes (3,000 in all)
  and an 8 km budget, three seeds: patrolnet's loop search beside OR-Tools' first solution and its
  guided local search at 1 s and 5 s of wall clock, on the same matrix.
* ``routes.shift``: the whole shift (demo: 12 brigade vehicles, 47 grid teams) as ``patrolnet
  routes`` plans it from the split workspace, and writes it as GeoJSON, GPX, KML, printable sheets
  and the dosage table.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from bench.stages import Context, stage

GRIDS = (55, 173)  # 3,025 and 29,929 nodes
#: ``routes.shift`` plans the shift this many times as the command does (its ``plan_s``: the median).
PLAN_RUNS = 3


def jittered_grid(n: int, *, spacing: float = 100.0, oneway_share: float = 0.1, main_every: int = 5,
                  seed: int = 0) -> nx.MultiDiGraph:
    """n x n jittered grid (EPSG:4547 metres), ``oneway_share`` of the streets one-way (random
    direction), every ``main_every``-th row and column a main road (40 km/h; locals 25 km/h); the
    largest strongly connected part."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n * n)
    r, c = np.divmod(ids, n)
    x = 590_000 + c * spacing + rng.uniform(-0.2, 0.2, n * n) * spacing
    y = 3_078_000 + r * spacing + rng.uniform(-0.2, 0.2, n * n) * spacing
    a = np.r_[ids[c < n - 1], ids[r < n - 1]]
    b = np.r_[ids[c < n - 1] + 1, ids[r < n - 1] + n]
    horiz = np.r_[np.ones((c < n - 1).sum(), bool), np.zeros((r < n - 1).sum(), bool)]
    main = np.where(horiz, r[a] % main_every == 0, c[a] % main_every == 0)
    length = np.hypot(x[a] - x[b], y[a] - y[b])
    oneway = rng.random(len(a)) < oneway_share
    flip = rng.random(len(a)) < 0.5
    G = nx.MultiDiGraph(crs="EPSG:4547")
    G.add_nodes_from((int(i), {"x": float(x[i]), "y": float(y[i])}) for i in ids)
    eid = 0
    rows = []
    for s in range(len(a)):
        pairs = [(a[s], b[s]), (b[s], a[s])]
        if oneway[s]:
            pairs = [pairs[int(flip[s])]]
        speed = 40.0 if main[s] else 25.0
        for u, v in pairs:
            rows.append((int(u), int(v), 0, {
                "edge_id": eid, "length_m": float(length[s]), "length": float(length[s]), "speed_kph": speed,
                "travel_time_s": float(length[s]) / (speed / 3.6), "oneway": bool(oneway[s]),
                "road_class": "main" if main[s] else "local", "highway": "primary" if main[s] else "residential",
                "name": None,
            }))
            eid += 1
    G.add_edges_from(rows)
    scc = max(nx.strongly_connected_components(G), key=len)
    return G.subgraph(scc).copy()


def _required(G: nx.MultiDiGraph) -> list[int]:
    return [d["edge_id"] for _, _, d in G.edges(data=True) if d["road_class"] == "main"]


@stage("routes.postman")
def postman_grids(ctx: Context) -> dict[str, Any]:
    """patrolnet: directed postman on the jittered grids (OR-Tools flow + Hierholzer)."""
    from routing.postman import _hierholzer, _imbalance, arc_table, balance_flow, postman_tour

    if ctx.scale != 1:
        return {"skipped": "fixed grids, run at scale 1 only"}
    out: dict[str, Any] = {}
    for n in GRIDS:
        G = jittered_grid(n, seed=ctx.seed)
        req = _required(G)
        t0 = time.perf_counter()
        tab = arc_table(G)
        t_tab = time.perf_counter() - t0
        req_idx = np.unique([tab.by_edge_id[e] for e in req])
        t0 = time.perf_counter()
        dead, cost = balance_flow(tab, _imbalance(tab, req_idx))
        t_flow = time.perf_counter() - t0
        arcs = np.concatenate([req_idx, dead])
        flags = np.r_[np.ones(len(req_idx), bool), np.zeros(len(dead), bool)]
        t0 = time.perf_counter()
        _hierholzer(tab, arcs, flags, int(tab.tail[req_idx[0]]))
        t_euler = time.perf_counter() - t0
        t0 = time.perf_counter()
        tour = postman_tour(tab, req)
        t_tour = time.perf_counter() - t0
        out[f"{G.number_of_nodes()}n"] = (
            f"{G.number_of_edges()}a req {len(req)} flow {t_flow:.4f}s euler {t_euler:.3f}s arrays {t_tab:.2f}s "
            f"tour {t_tour:.3f}s tour/req {tour.length_m / tour.required_length_m:.3f} gap {tour.gap:.3g} "
            f"deadhead_cm {cost}"
        )
    return out


@stage("routes.postman", group="networkx min_cost_flow")
def postman_grids_networkx(ctx: Context) -> dict[str, Any]:
    """Peer: networkx's network simplex on the same balance problem, its Euler circuit on the same
    augmented multigraph; the optimum is checked against OR-Tools'."""
    from routing.postman import COST_SCALE, _imbalance, arc_table, balance_flow

    if ctx.scale != 1:
        return {"skipped": "fixed grids, run at scale 1 only"}
    out: dict[str, Any] = {}
    for n in GRIDS:
        G = jittered_grid(n, seed=ctx.seed)
        req = _required(G)
        tab = arc_table(G)
        req_idx = np.unique([tab.by_edge_id[e] for e in req])
        supply = _imbalance(tab, req_idx)
        H = nx.DiGraph()
        for i, node in enumerate(tab.nodes):
            H.add_node(node, demand=-int(supply[i]))
        for i in tab.uniq.tolist():
            H.add_edge(tab.nodes[tab.tail[i]], tab.nodes[tab.head[i]], weight=int(round(tab.weight[i] * COST_SCALE)))
        t0 = time.perf_counter()
        flow = nx.min_cost_flow(H)
        t_flow = time.perf_counter() - t0
        nx_cost = nx.cost_of_flow(H, flow)
        _, ort_cost = balance_flow(tab, supply)
        M = nx.MultiDiGraph()
        M.add_edges_from((tab.nodes[tab.tail[i]], tab.nodes[tab.head[i]]) for i in req_idx.tolist())
        M.add_edges_from((u, v) for u, nbrs in flow.items() for v, f in nbrs.items() for _ in range(f))
        t0 = time.perf_counter()
        circuit = list(nx.eulerian_circuit(M, source=tab.nodes[tab.tail[req_idx[0]]]))
        t_euler = time.perf_counter() - t0
        out[f"{G.number_of_nodes()}n"] = (
            f"{G.number_of_edges()}a flow {t_flow:.3f}s euler {t_euler:.3f}s arcs {len(circuit)} "
            f"same_optimum {nx_cost == ort_cost}"
        )
    return out


def _orienteering_instance(seed: int) -> tuple[nx.MultiDiGraph, int, dict[int, float]]:
    """20 x 20 walking grid (100 m), the team's post at the centre, 60 random prize nodes (3,000)."""
    from routing.patrol import walk_graph

    W = walk_graph(jittered_grid(20, spacing=100.0, oneway_share=0.0, seed=seed))
    start = 10 * 20 + 10
    rng = np.random.default_rng(seed)
    nodes = [n for n in sorted(W.nodes) if n != start]
    picked = rng.choice(nodes, 60, replace=False)
    vals = rng.integers(1, 100, 60).astype(float)
    vals *= 3000 / vals.sum()
    return W, start, dict(zip(picked.tolist(), vals.tolist()))


def _ortools_orienteering(time_s: np.ndarray, stop_s: np.ndarray, prize: np.ndarray, budget_s: int,
                          seconds: float) -> list[int]:
    """The peer: OR-Tools routing as a prize-collecting TSP (one disjunction per place, its penalty
    the prize scaled so that all of it weighs five budgets of walking; a time dimension limited to
    the budget; guided local search for ``seconds`` of wall clock). Visiting order of the places."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(time_s)
    transit = (np.ceil(time_s) + np.ceil(stop_s)[None, :]).astype(np.int64)
    np.fill_diagonal(transit, 0)
    penalty = np.rint(prize * 5 * budget_s / prize.sum()).astype(np.int64)
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    cbi = routing.RegisterTransitMatrix(transit.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cbi)
    routing.AddDimension(cbi, 0, int(budget_s), True, "time")
    for node in range(1, n):
        routing.AddDisjunction([manager.NodeToIndex(node)], int(penalty[node]))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    if seconds > 0:
        params.time_limit.FromMilliseconds(int(seconds * 1000))
    else:
        params.solution_limit = 1
    sol = routing.SolveWithParameters(params)
    order: list[int] = []
    idx = routing.Start(0)
    while sol is not None and not routing.IsEnd(idx):
        node = manager.IndexToNode(idx)
        if node:
            order.append(node)
        idx = sol.Value(routing.NextVar(idx))
    return order


@stage("routes.orienteering")
def orienteering(ctx: Context) -> dict[str, Any]:
    """A team loop: 400-node walking grid, post at the centre, 60 prizes (3,000), 8 km at 4.5 km/h,
    on three seeds: prize of patrolnet's loop search (the default effort of a shift's team and the
    effort of 0.2 s) beside OR-Tools' first solution and its guided local search at 1 s and 5 s of
    wall clock, on the same matrix."""
    from routing.patrol import WALK_KPH, team_loops

    if ctx.scale != 1:
        return {"skipped": "fixed instance, run at scale 1 only"}
    out: dict[str, Any] = {}
    budget_min = 8.0 / WALK_KPH * 60
    for seed in (ctx.seed, 1, 2):
        W, start, prizes = _orienteering_instance(seed)
        row: dict[str, str] = {}
        for label, tl in (("patrolnet_0.1", 0.1), ("patrolnet_0.2", 0.2)):
            t0 = time.perf_counter()
            loops, info = team_loops(W, start_node=start, budget_min=budget_min, prizes=prizes, n_alternatives=3,
                                     time_limit_s=tl)
            lp = loops[0]
            row[label] = f"{lp.prize:.0f} ({len(lp.stops)} stops, {time.perf_counter() - t0:.2f}s)"
        keep = info["keep"]
        t_mat = info["time_s"][np.ix_(keep, keep)]
        s_vec = info["stop_s"][keep]
        pz = np.r_[0.0, [prizes[info["pts"][k]] for k in keep[1:]]]
        for label, secs in (("ortools_first", 0.0), ("ortools_gls_1s", 1.0), ("ortools_gls_5s", 5.0)):
            order = _ortools_orienteering(t_mat, s_vec, pz, int(budget_min * 60), secs)
            row[label] = f"{pz[order].sum():.0f}"
        out[f"seed_{seed}"] = row
    return out


@stage("routes.minmax")
def minmax_split(ctx: Context) -> dict[str, Any]:
    """Several vehicles on one beat: the district's main roads as one beat from the main-road node
    nearest their middle, shared among k = 2..12 vehicles by :func:`routing.minmax.share_tour` (what
    a shift plans) beside the tour's plain split (:func:`routing.postman.split_tour`, the previous
    way); per k the longest route's km and its ratio to the lower bound max(postman length / k, the
    farthest required arc's round trip from the base), and the seconds of each."""
    from routing.graph import graph_from_workspace
    from routing.minmax import share_tour
    from routing.postman import arc_table, node_xy, postman_tour, split_tour

    ws, _ = _split_workspace(ctx)
    G = graph_from_workspace(ws)
    tab = arc_table(G, weight="length_m")
    xy = node_xy(G, tab)
    main = [i for i in range(len(tab.tail)) if G.edges[tab.arc(i)].get("road_class") == "main"]
    pts = xy[tab.tail[main]]
    depot = tab.nodes[tab.tail[main[int(np.argmin(np.hypot(*(pts - pts.mean(axis=0)).T)))]]]
    tour = postman_tour(tab, [tab.arc(i) for i in main], depot=depot)
    out: dict[str, Any] = {"postman_km": round(tour.length_m / 1000, 1)}
    worst = worst_split = 0.0
    secs = secs_split = 0.0
    for k in range(2, 13):
        t0 = time.perf_counter()
        kr = share_tour(tab, tour, k, xy=xy)
        t1 = time.perf_counter()
        sp = split_tour(tab, tour, k)
        secs, secs_split = secs + t1 - t0, secs_split + time.perf_counter() - t1
        ratio, ratio_split = kr.max_cost / kr.lower_bound, sp.max_cost / sp.lower_bound
        worst, worst_split = max(worst, ratio), max(worst_split, ratio_split)
        out[f"k{k}"] = f"{kr.max_cost / 1000:.1f}km x{ratio:.3f} (split x{ratio_split:.3f}) {t1 - t0:.2f}s"
    out["worst_ratio"] = round(worst, 3)
    out["worst_ratio_split"] = round(worst_split, 3)
    out["seconds_all_k"] = round(secs, 2)
    out["seconds_all_k_split"] = round(secs_split, 2)
    return out


def _split_workspace(ctx: Context) -> tuple[Any, float]:
    """The bench's workspace (built as ``demo.build`` does when missing) with its coverage split (run
    once, as a district does before planning shifts): the workspace and the split's seconds (0 when
    it was there)."""
    from app.services.split import split_workspace
    from app.services.workspace import build_demo_workspace
    from app.storage.workspace import Workspace

    if not ctx.workspace.exists():
        build_demo_workspace(ctx.workspace, seed=ctx.seed, as_of=ctx.as_of, scale=ctx.scale, overwrite=True)
    ws = Workspace(ctx.workspace)
    if ws.has("edge_owners"):
        return ws, 0.0
    t0 = time.perf_counter()
    ws, _, _ = split_workspace(ws)
    return ws, time.perf_counter() - t0


@stage("routes.shift")
def whole_shift(ctx: Context) -> dict[str, Any]:
    """The district's evening shift (20:00-24:00) as ``patrolnet routes WS --shift 20:00-24:00 --out
    DIR`` runs it: every brigade vehicle and grid team planned from the workspace (its split run
    once before, outside the time), then written as GeoJSON, GPX, KML, the printable sheets and the
    dosage table. ``plan_s``: planned and written as the command does by default (its cores as
    forked processes: :func:`app.services.fanout.command_fanout`, named in ``fanout``), the median
    of :data:`PLAN_RUNS` runs (each in ``plan_runs_s``);
    ``serial_plan_s``: the same in one process (``--dask serial``), the phases from its progress;
    ``fork2_plan_s``: with ``--dask fork:2``; ``next_day_plan_s``: the next day's shift planned after it
    in the same process, as a job worker plans its next request (the road network and its tables
    kept: :func:`app.services.routes.plan_network`). ``plan_s``, ``serial_plan_s`` and ``fork2_plan_s``
    start from nothing (no network kept)."""
    import datetime as dt
    import shutil

    from app.services.fanout import command_fanout, open_fanout
    from app.services.routes import forget_networks, routes_job

    ws, split_s = _split_workspace(ctx)
    day = ctx.as_of + dt.timedelta(days=1)

    def from_nothing(option: str, out: Path, progress: Any = None) -> tuple[Any, float]:
        shutil.rmtree(out, ignore_errors=True)
        forget_networks()
        with open_fanout(option) as fan:
            t0 = time.perf_counter()
            got = routes_job(ws, shift="20:00-24:00", date=day, out=out, fanout=fan, progress=progress)
            return got, time.perf_counter() - t0

    default = command_fanout(None)
    runs = []
    for _ in range(PLAN_RUNS):  # this machine's speed wanders by 10-20 % from minute to minute
        (plans, written), took = from_nothing(default, ctx.workdir / f"routes-x{ctx.scale:g}")
        runs.append(took)
    total = float(np.median(runs))
    marks: dict[str, float] = {}
    t_start = time.perf_counter()

    def progress(phase: str, share: float) -> None:
        marks.setdefault(phase if share < 1 else f"{phase} done", time.perf_counter() - t_start)

    _, serial = from_nothing("serial", ctx.workdir / f"routes-x{ctx.scale:g}-serial", progress)
    # the next day's shift in the same process (a job worker's next plan): the road network kept
    t0 = time.perf_counter()
    routes_job(ws, shift="20:00-24:00", date=day + dt.timedelta(days=1), out=ctx.workdir / f"routes-x{ctx.scale:g}-next")
    again = time.perf_counter() - t0
    # pieces on two processes forked from this one (--dask fork:2)
    _, forked = from_nothing("fork:2", ctx.workdir / f"routes-x{ctx.scale:g}-fork")
    cars = [p for p in plans if p.unit_kind == "brigade_vehicle"]
    teams = [p for p in plans if p.unit_kind != "brigade_vehicle"]
    return {
        "plan_s": round(total, 1),
        "plan_runs_s": "/".join(f"{t:.1f}" for t in runs),
        "fanout": default,
        "serial_plan_s": round(serial, 1),
        "fork2_plan_s": round(forked, 1),
        "next_day_plan_s": round(again, 1),
        "read_s": round(marks.get("plan", 0.0), 1),
        "planning_s": round(marks.get("plan done", serial) - marks.get("plan", 0.0), 1),
        "writing_s": round(serial - marks.get("plan done", serial), 1),
        "split_before_s": round(split_s, 1),
        "vehicles": len(cars), "teams": len(teams),
        "vehicle_km": round(sum(p.length_m for p in cars) / 1000, 1),
        "coverage_max_gap": round(max((p.coverage_gap for p in cars), default=0.0), 4),
        "stops": sum(len(p.stops) for p in plans),
        "longest_min": round(max(p.duration_min for p in plans), 1),
        "files": ", ".join(f"{p.suffix[1:]} {p.stat().st_size / 1e6:.1f}MB" for p in written),
    }
