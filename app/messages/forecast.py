"""The forecast's watch list ("where tonight") and its honesty line: what the command line, the
exports and the hotspot page say of them (``watch.*``; the page's own words under ``ui.watch.*``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # the forecast methods (geo.forecast.METHODS) as a commander reads them
    "forecast.method.naive_recent": {"zh-CN": "近4周计数", "en": "last 4 weeks' counts"},
    "forecast.method.naive_since_jan": {"zh-CN": "今年以来计数", "en": "counts since 1 January"},
    "forecast.method.naive_long": {"zh-CN": "近52周计数", "en": "last 52 weeks' counts"},
    "forecast.method.naive_all": {"zh-CN": "全部历史计数", "en": "all-history counts"},
    "forecast.method.last_year": {"zh-CN": "去年同期计数", "en": "the same weeks last year"},
    "forecast.method.decayed_long": {"zh-CN": "长期衰减计数", "en": "long-memory decayed counts"},
    "forecast.method.retro_kde": {"zh-CN": "核密度", "en": "kernel density"},
    "forecast.method.prospective": {"zh-CN": "近重复（前瞻）热点", "en": "near-repeat (prospective) hotspots"},
    "forecast.method.decayed": {"zh-CN": "衰减计数", "en": "decayed counts"},
    "forecast.method.blend": {"zh-CN": "混合", "en": "blend"},
    "forecast.method.shrinkage": {"zh-CN": "收缩估计", "en": "shrinkage"},
    # the honesty line: how the forecast did beside counting on this workspace's own recent weeks
    "watch.honest.better": {
        "zh-CN": "本预测（{method}）在最近 {n} 周（{first} 至 {last}）的回测中，5% 面积命中率比全部历史计数高 {vs_all}；"
                 "较最佳计数基线（{base}）{diff}，95% 区间 [{low}, {high}]：优于计数",
        "en": "This forecast ({method}) beat all-history counts by {vs_all} in hits at 5 % of the area over the last "
              "{n} weeks ({first} to {last}); vs the best counting baseline ({base}) {diff}, 95 % interval "
              "[{low}, {high}]: better than counting"},
    "watch.honest.tie": {
        "zh-CN": "本预测（{method}）在最近 {n} 周（{first} 至 {last}）的回测中与计数持平：5% 面积命中率较全部历史计数 {vs_all}，"
                 "较最佳计数基线（{base}）{diff}，95% 区间 [{low}, {high}] 含 0：不优于计数",
        "en": "This forecast ({method}) ties counting over the last {n} weeks ({first} to {last}): hits at 5 % of the "
              "area {vs_all} vs all-history counts, {diff} vs the best counting baseline ({base}), 95 % interval "
              "[{low}, {high}] includes 0: no better than counting"},
    "watch.honest.worse": {
        "zh-CN": "本预测（{method}）在最近 {n} 周（{first} 至 {last}）的回测中劣于计数：5% 面积命中率较全部历史计数 {vs_all}，"
                 "较最佳计数基线（{base}）{diff}，95% 区间 [{low}, {high}]",
        "en": "This forecast ({method}) did worse than counting over the last {n} weeks ({first} to {last}): hits at "
              "5 % of the area {vs_all} vs all-history counts, {diff} vs the best counting baseline ({base}), 95 % "
              "interval [{low}, {high}]"},
    "watch.honest.counting": {
        "zh-CN": "本预测就是计数（{method}）：最近 {n} 周（{first} 至 {last}）的回测中它最好，5% 面积命中率较全部历史计数 {vs_all}",
        "en": "This forecast is counting ({method}): it did best over the last {n} weeks ({first} to {last}), hits at "
              "5 % of the area {vs_all} vs all-history counts"},
    "watch.honest.short_history": {
        "zh-CN": "本预测（{method}）未与计数比较：{as_of} 之前的警情不足 {weeks} 周（数据始于 {first}）",
        "en": "This forecast ({method}) is not checked against counting: fewer than {weeks} weeks of incidents "
              "before {as_of} (the data start on {first})"},
    "watch.honest.unchecked": {
        "zh-CN": "本预测（{method}）为指定方法，未在本工作区回测；不指定方法时按本工作区回测自动选择",
        "en": "This forecast ({method}) was asked for by name and is not backtested on this workspace; without a "
              "method the forecast is chosen by this workspace's own backtest"},
    "watch.stale": {
        "zh-CN": "注意：警情数据截至 {as_of}，预测只覆盖其后 {h} 天，不含 {day}：本清单按 {day} 的星期与时段折算；导入新警情并更新预测后更准",
        "en": "Note: the incidents end on {as_of} and the forecast covers the {h} days after, not {day}: the list "
              "applies {day}'s weekday and hours to it; import newer incidents and update the forecast for a better one"},
    "watch.title": {"zh-CN": "{day} {shift} 重点巡防位置（前 {n} 处）", "en": "Places to watch {day} {shift} (top {n})"},
    "watch.method_note": {
        "zh-CN": "预计警情 = 预测的 {h} 天预计数按所属派出所近一年的星期×小时分布折算到本时段（分布向全区收缩）",
        "en": "Expected in the shift = the forecast's {h}-day expected incidents times the share of a week's incidents "
              "its station's last year puts in these hours and weekday (shrunk toward the district's)"},
    "watch.sheet.places": {"zh-CN": "重点位置", "en": "places"},
    "watch.sheet.about": {"zh-CN": "说明", "en": "about"},
    "watch.col.rank": {"zh-CN": "排序", "en": "rank"},
    "watch.col.place": {"zh-CN": "位置", "en": "place"},
    "watch.col.place_id": {"zh-CN": "位置编号", "en": "place_id"},
    "watch.col.station": {"zh-CN": "派出所", "en": "station"},
    "watch.col.expected_window": {"zh-CN": "本时段预计警情", "en": "expected_in_shift"},
    "watch.col.window_share": {"zh-CN": "本时段占一周比例", "en": "share_of_week"},
    "watch.col.expected": {"zh-CN": "预测期预计警情", "en": "expected_in_horizon"},
    "watch.col.same_hours_12m": {"zh-CN": "近12个月同时段警情", "en": "same_hours_12m"},
    "watch.col.lon": {"zh-CN": "经度(WGS84)", "en": "lon"},
    "watch.col.lat": {"zh-CN": "纬度(WGS84)", "en": "lat"},
    # the hotspot page
    "ui.watch.title": {"zh-CN": "今晚看哪里", "en": "Where to watch"},
    "ui.watch.shift": {"zh-CN": "班次时段", "en": "Shift"},
    "ui.watch.day": {"zh-CN": "日期", "en": "Day"},
    "ui.watch.run": {"zh-CN": "列出重点位置", "en": "List the places"},
    "ui.watch.col_place": {"zh-CN": "位置", "en": "Place"},
    "ui.watch.col_expected": {"zh-CN": "本时段预计", "en": "Expected"},
    "ui.watch.need_forecast": {"zh-CN": "先更新风险预测，再列出重点位置。", "en": "Update the forecast first, then list the places."},
}
