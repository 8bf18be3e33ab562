"""Weekly incident bulletins (每周警情通报), one per neighborhood, with prevention tips."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.schema import CATEGORIES, CRIMINAL_GROUPS

from .counting import _name_en
from .windows import Window

__all__ = ["TIME_BANDS", "TIPS", "weekly_bulletins"]


#: Prevention tips per category: (zh-CN, en).
TIPS: dict[str, tuple[str, str]] = {
    "robbery": (
        "夜间出行尽量结伴，走灯光明亮的大路；遇到抢劫先保护人身安全，记住对方特征后立即报警。",
        "At night walk in company on well-lit roads; if robbed, stay safe first, note the robber's looks and call 110.",
    ),
    "snatching": (
        "走路时把包背在远离马路的一侧，不边走边低头看手机，金银首饰不外露。",
        "Carry your bag on the side away from the road, don't walk looking at your phone, keep jewellery out of sight.",
    ),
    "burglary": (
        "出门和睡前请锁好门窗，不把钥匙藏在门口或脚垫下，可加装防盗锁和门窗限位器。",
        "Lock doors and windows when you go out and at night; never hide keys by the door; consider an extra lock.",
    ),
    "ebike_theft": (
        "电动车请停进车棚或有监控的地方，加装第二把锁（如U型锁），不要把钥匙留在车上。",
        "Park e-bikes in the shed or under a camera, use a second lock (a U-lock) and never leave the key in it.",
    ),
    "vehicle_theft": (
        "车辆请停在有人看管或有监控的停车场，离车后锁好车门、关好车窗。",
        "Park in guarded or camera-covered car parks; lock the doors and close the windows when you leave.",
    ),
    "theft_from_vehicle": (
        "车内不要存放现金、包和贵重物品，离车时关好车窗、锁好车门。",
        "Leave no cash, bags or valuables in the car; close the windows and lock the doors when you leave.",
    ),
    "pickpocketing": (
        "在菜市场、公交车等人多的地方看好手机和钱包，贵重物品放在贴身内袋。",
        "In markets, buses and crowds watch your phone and wallet; keep valuables in an inside pocket.",
    ),
    "other_theft": (
        "楼道、阳台和门口不要存放贵重物品，快递及时取回。",
        "Keep valuables out of stairwells, balconies and doorways; collect parcels promptly.",
    ),
    "assault": (
        "邻里之间有矛盾请冷静处理，可找社区民警或调解员帮忙化解，切勿动手。",
        "Settle disputes calmly; the community officer or a mediator can help - never resort to violence.",
    ),
    "fraud": (
        "凡是要求转账汇款的陌生来电、短信、网友一律不要相信，绝不向陌生人转账，拿不准请拨打96110或110咨询。",
        "Never transfer money to strangers, whoever they claim to be on the phone or online; if unsure call 96110 or 110.",
    ),
    "public_order": (
        "遇到纠纷、噪音扰民等问题，可联系物业或社区民警协调处理。",
        "For disputes or noise, contact the property management or the community officer.",
    ),
}
_GENERAL_TIP = (
    "请继续保持随手锁门关窗、电动车停入车棚的好习惯。",
    "Please keep locking doors and windows and parking e-bikes in the shed.",
)
_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Time bands: (first hour, zh-CN, en).
TIME_BANDS: tuple[tuple[int, str, str], ...] = (
    (0, "凌晨", "early morning"),
    (6, "上午", "morning"),
    (12, "下午", "afternoon"),
    (18, "晚上", "evening"),
)
_DIRS_ZH = ("东", "东北", "北", "西北", "西", "西南", "南", "东南")
_DIRS_EN = ("east", "north-east", "north", "north-west", "west", "south-west", "south", "south-east")


def _where_inside(
    ev: pd.DataFrame, neighborhoods: pd.DataFrame, buildings: pd.DataFrame | None, *, building_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Place labels of incidents inside compounds: the nearest building of the same compound within
    ``building_m``, else the part of the compound (compass direction from its centre)."""
    n = len(ev)
    zh = np.full(n, "小区内", dtype=object)
    en = np.full(n, "inside the compound", dtype=object)
    if n == 0:
        return zh, en
    x, y = ev["x"].to_numpy(float), ev["y"].to_numpy(float)
    has_xy = np.isfinite(x) & np.isfinite(y)
    if "geometry" in neighborhoods.columns and has_xy.any():
        geoms = np.asarray(neighborhoods.geometry.values, dtype=object) if hasattr(neighborhoods, "geometry") \
            else np.asarray(neighborhoods["geometry"], dtype=object)
        pos = pd.Series(np.arange(len(neighborhoods)), index=neighborhoods["neighborhood_id"].astype(str).to_numpy())
        k = ev["neighborhood_id"].map(pos).to_numpy()
        ok = has_xy & pd.notna(k)
        ki = np.where(ok, k, 0).astype(np.int64)
        g = geoms[ki]
        cen = shapely.centroid(g)
        dx, dy = x - shapely.get_x(cen), y - shapely.get_y(cen)
        size = np.sqrt(np.maximum(shapely.area(g), 1.0))
        ang = np.degrees(np.arctan2(dy, dx))
        sector = np.round(ang / 45.0).astype(np.int64) % 8
        central = np.hypot(dx, dy) < 0.2 * size
        dz = np.where(central, "小区中部", np.char.add(np.char.add("小区", np.array(_DIRS_ZH)[sector]), "侧"))
        de = np.where(central, "centre of the compound",
                      np.char.add(np.array(_DIRS_EN)[sector], " part of the compound"))
        zh = np.where(ok, dz, zh).astype(object)
        en = np.where(ok, de, en).astype(object)
    if buildings is not None and len(buildings) and "geometry" in buildings.columns and has_xy.any() \
            and {"name", "neighborhood_id"} <= set(buildings.columns):
        b = buildings[buildings["name"].notna() & buildings["neighborhood_id"].notna()]
        if len(b):
            bgeom = np.asarray(b.geometry.values, dtype=object)
            tree = shapely.STRtree(bgeom)
            pts = shapely.points(np.where(has_xy, x, 0.0), np.where(has_xy, y, 0.0))
            qi, ti = tree.query_nearest(pts[has_xy], max_distance=building_m, all_matches=False)
            rows = np.flatnonzero(has_xy)[qi]
            bn = b["name"].astype(str).to_numpy()[ti]
            bnb = b["neighborhood_id"].astype(str).to_numpy()[ti]
            same = bnb == ev["neighborhood_id"].to_numpy()[rows].astype(str)
            rows, bn = rows[same], bn[same]
            # "龙凤花园3栋" -> "3栋": the block number at the end of the name, else the whole name
            full = pd.Series(bn, dtype="string")
            short = full.str.extract(r"(\d+\s*(?:栋|幢|号楼|座))\s*$", expand=False).fillna(full)
            num = short.str.extract(r"^(\d+)", expand=False)
            zh[rows] = (short + "附近").to_numpy(dtype=object)
            en[rows] = np.where(num.notna().to_numpy(dtype=bool, na_value=False),
                                ("near block " + num.fillna("")).to_numpy(dtype=object),
                                ("near " + short).to_numpy(dtype=object))
    return zh, en


def _when(occ: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    hour = occ.dt.hour.to_numpy()
    starts = np.array([b[0] for b in TIME_BANDS])
    band = np.searchsorted(starts, hour, side="right") - 1
    wd = occ.dt.day_of_week.to_numpy()
    mon, day = occ.dt.month.to_numpy(), occ.dt.day.to_numpy()
    zh = (pd.Series(mon).astype(str) + "月" + pd.Series(day).astype(str) + "日（"
          + pd.Series(np.array(_WEEKDAYS_ZH)[wd]) + "）" + pd.Series(np.array([b[1] for b in TIME_BANDS])[band]))
    en = (pd.Series(np.array(_WEEKDAYS_EN)[wd]) + " " + pd.Series(day).astype(str) + " "
          + pd.Series(np.array(_MONTHS_EN)[mon - 1]) + ", " + pd.Series(np.array([b[2] for b in TIME_BANDS])[band]))
    return zh.to_numpy(dtype=object), en.to_numpy(dtype=object)


def _category_counts(ev: pd.DataFrame, lang: str) -> pd.Series:
    """Per neighborhood: "入室盗窃2起、诈骗1起" (most frequent first, then schema order)."""
    if ev.empty:
        return pd.Series(dtype=object)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    c = ev.groupby(["neighborhood_id", "category"]).size().rename("n").reset_index()
    c["o"] = c["category"].map(order)
    c = c.sort_values(["neighborhood_id", "n", "o"], ascending=[True, False, True])
    if lang == "en":
        c["t"] = c["n"].astype(str) + " " + c["category"].map({k: v[1] for k, v in CATEGORIES.items()})
        return c.groupby("neighborhood_id")["t"].agg(", ".join)
    c["t"] = c["category"].map({k: v[0] for k, v in CATEGORIES.items()}) + c["n"].astype(str) + "起"
    return c.groupby("neighborhood_id")["t"].agg("、".join)


def weekly_bulletins(
    incidents: pd.DataFrame,
    *,
    week: Window,
    neighborhoods: pd.DataFrame,
    communities: pd.DataFrame,
    stations: pd.DataFrame | None = None,
    buildings: pd.DataFrame | None = None,
    categories: Sequence[str] | None = None,
    nearby_m: float = 150.0,
    building_m: float = 40.0,
    max_lines: int = 8,
    max_tips: int = 3,
) -> pd.DataFrame:
    """Weekly incident bulletins (每周警情通报), one per neighborhood, ready to paste into WeChat.

    Parameters
    ----------
    incidents
        Prepared incidents (:func:`prepare_incidents`; x/y used for places and nearby streets).
    week
        The week (:func:`report_windows` ``["week"]``).
    neighborhoods, communities, stations
        The layers (neighborhood geometry gives the part of the compound and the nearby streets).
    buildings
        Optional ``buildings`` layer with ``name`` and ``neighborhood_id``: names the nearest block.
    categories
        Built-in category codes reported (default: the criminal cases, by their ``group``, the
        workspace's own criminal categories among them).
    nearby_m
        Street incidents within this distance of the compound are listed as "nearby" (0: none).
    building_m
        Largest distance to a building to say "near block N".
    max_lines, max_tips
        Longest list of incidents and of tips per bulletin.

    Returns
    -------
    pandas.DataFrame
        station_id, community_id, office_name, neighborhood_id, name, name_en, week_start,
        week_end, inside, nearby (counts), inside_ids, nearby_ids (``;``-joined incident ids),
        text_zh, text_en; sorted by station, community, neighborhood.
    """
    if nearby_m < 0 or building_m < 0 or max_lines < 1 or max_tips < 0:
        raise InputError("nearby_m and building_m must be >= 0, max_lines >= 1 and max_tips >= 0",
                         code="report.bulletin_limits")
    if categories is None:  # the criminal cases, by group: the workspace's own criminal categories too
        chosen = incidents["group"].isin(CRIMINAL_GROUPS).to_numpy()
    else:
        bad = sorted(set(categories) - set(CATEGORIES))
        if bad:
            raise InputError(f"categories: unknown code(s) {', '.join(bad)}; use codes of geo.schema.CATEGORIES",
                             code="param.categories", codes=", ".join(bad), known=", ".join(CATEGORIES))
        chosen = incidents["category"].isin(categories).to_numpy()
    nb = neighborhoods
    ids = nb["neighborhood_id"].astype(str).to_numpy()
    nb_name = pd.Series(nb["name"].astype(str).to_numpy(), index=ids)
    sel = incidents[week.mask(incidents["occurred_at"]).to_numpy() & chosen]
    # inside the compounds
    inside = sel[(sel["place_kind"] == "neighborhood") & sel["neighborhood_id"].isin(ids)].copy()
    inside["kind"] = "inside"
    inside["nb_name"] = inside["neighborhood_id"].map(nb_name).to_numpy()
    wz, we = _where_inside(inside, nb, buildings, building_m=building_m)
    inside["where_zh"], inside["where_en"] = wz, we
    # streets within nearby_m of a compound
    street = sel[(sel["place_kind"] == "street") & np.isfinite(sel["x"].to_numpy(float))]
    if nearby_m > 0 and len(street) and "geometry" in nb.columns:
        geoms = np.asarray(nb.geometry.values, dtype=object)
        tree = shapely.STRtree(geoms)
        pts = shapely.points(street["x"].to_numpy(float), street["y"].to_numpy(float))
        qi, ti = tree.query(pts, predicate="dwithin", distance=nearby_m)
        near = street.iloc[qi].copy()
        near["neighborhood_id"] = ids[ti]
    else:
        near = street.iloc[:0].copy()
    near["kind"] = "nearby"
    rn = near["road_name"].astype("string")
    named = rn.notna().to_numpy(dtype=bool)
    rn = rn.fillna("")
    near["where_zh"] = np.where(named, (rn + "（小区周边）").to_numpy(dtype=object), "小区周边道路")
    near["where_en"] = np.where(named, (rn + " (near the compound)").to_numpy(dtype=object), "a street near the compound")
    ev = pd.concat([inside, near], ignore_index=True)
    ev = ev.sort_values(["neighborhood_id", "occurred_at", "incident_id"], kind="stable").reset_index(drop=True)
    when_zh, when_en = _when(ev["occurred_at"]) if len(ev) else (np.array([], object), np.array([], object))
    cat_zh = ev["category"].map({k: v[0] for k, v in CATEGORIES.items()})
    cat_en = ev["category"].map({k: v[1] for k, v in CATEGORIES.items()})
    ev["line_zh"] = pd.Series(when_zh, dtype=object) + "，" + ev["where_zh"].astype(str) + "，" + cat_zh.astype(str)
    ev["line_en"] = pd.Series(when_en, dtype=object) + ", " + ev["where_en"].astype(str) + ": " + cat_en.astype(str)
    ev["n_in_nb"] = ev.groupby("neighborhood_id").cumcount()

    ins, nea = ev[ev["kind"] == "inside"], ev[ev["kind"] == "nearby"]
    n_in = ins.groupby("neighborhood_id").size()
    n_near = nea.groupby("neighborhood_id").size()
    ids_in = ins.groupby("neighborhood_id")["incident_id"].agg(";".join)
    ids_near = nea.groupby("neighborhood_id")["incident_id"].agg(";".join)
    cc_in = {lang: _category_counts(ins, lang) for lang in ("zh-CN", "en")}
    cc_near = {lang: _category_counts(nea, lang) for lang in ("zh-CN", "en")}
    shown = ev[ev["n_in_nb"] < max_lines]
    num = (shown["n_in_nb"] + 1).astype(str)
    lines_zh = (num + ". " + shown["line_zh"]).groupby(shown["neighborhood_id"]).agg("；\n".join)
    lines_en = (num + ". " + shown["line_en"]).groupby(shown["neighborhood_id"]).agg(";\n".join)
    # tips: categories by count, most frequent first
    order = {c: i for i, c in enumerate(CATEGORIES)}
    tc = ev.groupby(["neighborhood_id", "category"]).size().rename("n").reset_index()
    tc["o"] = tc["category"].map(order)
    tc = tc.sort_values(["neighborhood_id", "n", "o"], ascending=[True, False, True])
    tc = tc[tc.groupby("neighborhood_id").cumcount() < max_tips]
    tips_zh = tc.assign(t=tc["category"].map({k: v[0] for k, v in TIPS.items()})).groupby("neighborhood_id")["t"].agg(list)
    tips_en = tc.assign(t=tc["category"].map({k: v[1] for k, v in TIPS.items()})).groupby("neighborhood_id")["t"].agg(list)

    com = communities.set_index(communities["community_id"].astype(str))
    office = (com["office_name"] if "office_name" in com.columns else com["name"]).astype(str)
    office_en = (_name_en(com).astype(str) + " police office")
    st = None
    if stations is not None:
        st = stations.set_index(stations["station_id"].astype(str))
    d0, d1 = week.start.date(), week.last_day
    span_zh = f"{d0.month}月{d0.day}日（周一）至{d1.month}月{d1.day}日（周日）"
    span_en = f"Mon {d0.day} {_MONTHS_EN[d0.month - 1]} to Sun {d1.day} {_MONTHS_EN[d1.month - 1]} {d1.year}"

    rows = []
    nb_en = _name_en(nb).astype(str).to_numpy()
    nb_com = nb["community_id"].astype(str).to_numpy()
    nb_st = nb["station_id"].astype(str).to_numpy()
    for i, nid in enumerate(ids):  # one bulletin per neighborhood (not a loop over incidents)
        name, name_en, cid = nb_name.iloc[i], nb_en[i], nb_com[i]
        k_in, k_near = int(n_in.get(nid, 0)), int(n_near.get(nid, 0))
        off_zh = office.get(cid, "社区警务室")
        off_en = office_en.get(cid, "the community police office")
        st_zh = f"（{st['name'].get(nb_st[i])}）" if st is not None and nb_st[i] in st.index else ""
        zh = [f"【{name}·每周警情通报】{span_zh}"]
        en = [f"[{name_en} - weekly incident bulletin] {span_en}"]
        if k_in == 0 and k_near == 0:
            zh.append("本周本小区未发生可防性案件，感谢大家共同守护！" + _GENERAL_TIP[0])
            en.append("No preventable cases in our neighborhood this week - thank you all for keeping it safe! "
                      + _GENERAL_TIP[1])
        else:
            if k_in:
                zh.append(f"本周小区内发生刑事警情{k_in}起：{cc_in['zh-CN'][nid]}。")
                en.append(f"This week {k_in} criminal case{'s' if k_in > 1 else ''} in the compound: {cc_in['en'][nid]}.")
            else:
                zh.append("本周小区内未发生可防性案件，感谢大家共同守护！")
                en.append("No preventable cases inside the compound this week - thank you for keeping it safe!")
            if k_near:
                zh.append(f"小区周边道路发生{k_near}起：{cc_near['zh-CN'][nid]}。")
                en.append(f"On the streets around it: {k_near} ({cc_near['en'][nid]}).")
            zh.append(lines_zh[nid] + ("。" if k_in + k_near <= max_lines else f"；\n……另有{k_in + k_near - max_lines}起。"))
            en.append(lines_en[nid] + ("." if k_in + k_near <= max_lines else f";\n... and {k_in + k_near - max_lines} more."))
            tz_, te_ = tips_zh.get(nid, []), tips_en.get(nid, [])
            if tz_:
                zh.append("防范提示：" + "".join(f"{'①②③④⑤⑥⑦⑧⑨'[j]}{t}" for j, t in enumerate(tz_)))
                en.append("Tips: " + " ".join(f"({j + 1}) {t}" for j, t in enumerate(te_)))
        zh.append(f"如发现可疑情况请立即拨打110，或联系{off_zh}{st_zh}。")
        en.append(f"If you see anything suspicious call 110 or contact {off_en}.")
        rows.append(
            {
                "station_id": nb_st[i],
                "community_id": cid,
                "office_name": off_zh,
                "neighborhood_id": nid,
                "name": name,
                "name_en": name_en,
                "week_start": d0,
                "week_end": d1,
                "inside": k_in,
                "nearby": k_near,
                "inside_ids": ids_in.get(nid, ""),
                "nearby_ids": ids_near.get(nid, ""),
                "text_zh": "\n".join(zh),
                "text_en": "\n".join(en),
            }
        )
    cols = ["station_id", "community_id", "office_name", "neighborhood_id", "name", "name_en", "week_start",
            "week_end", "inside", "nearby", "inside_ids", "nearby_ids", "text_zh", "text_en"]
    out = pd.DataFrame(rows, columns=cols)
    out["inside"] = out["inside"].astype(np.int64)
    out["nearby"] = out["nearby"].astype(np.int64)
    return out.sort_values(["station_id", "community_id", "neighborhood_id"], kind="stable").reset_index(drop=True)
