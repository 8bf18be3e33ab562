"""Errors of vector tile requests (``app.storage.vector_tiles``): the tile address, the layer, the
columns asked for (``error.<code>``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "error.tile.zoom": {
        "zh-CN": "瓦片缩放级别“{value}”无效：应为 0 到 {max} 的整数（地址 z/x/y 中的 z）",
        "en": "tile zoom {value!r} is not a whole number from 0 to {max} (the z of the z/x/y address)",
    },
    "error.tile.xy": {
        "zh-CN": "瓦片 {axis} 坐标“{value}”无效：缩放级别 {z} 下应为 0 到 {max} 的整数（地址 z/x/y 中的 {axis}）",
        "en": "tile {axis} {value!r} is not a whole number from 0 to {max} at zoom {z} (the {axis} of the z/x/y "
              "address)",
    },
    "error.tile.columns": {
        "zh-CN": "图层“{layer}”没有字段 {unknown}；请在 properties 中只写它已有的字段：{columns}",
        "en": "layer '{layer}' has no column(s) {unknown}; name only its columns in properties: {columns}",
    },
    "error.tile.no_geometry": {
        "zh-CN": "图层“{layer}”没有几何，不能生成矢量瓦片；请通过 /api/v1/layers/{layer} 读取",
        "en": "layer '{layer}' has no geometry and cannot be drawn as vector tiles; read it from /api/v1/layers/{layer}",
    },
}
