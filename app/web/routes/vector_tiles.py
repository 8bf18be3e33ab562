"""``GET /api/v1/tiles/{layer}/{z}/{x}/{y}.mvt``: a workspace layer as Mapbox Vector Tiles.

The same layers, names, access rules and ``properties`` as ``/api/v1/layers/{layer}`` (a station
user's tiles hold only its jurisdiction; an analyst gets no gap-list tiles), cut in Web Mercator
XYZ tiles (extent 4096, buffer 64; geometry simplified to one tile unit) by the workspace's tile
source (:mod:`app.storage.vector_tiles` in this process for a GeoPackage, PostGIS ``ST_AsMVT`` by
:mod:`app.storage.pg_tiles` for a PostgreSQL workspace) and cached per workspace version by
:mod:`app.web.vector_tiles`.

Answers: 200 with the tile (``application/vnd.mapbox-vector-tile``, gzip-compressed when the client
accepts it: browsers unpack it before MapLibre or Leaflet.VectorGrid read it); 204 without a body
where the layer has no feature in the tile (both MapLibre GL and Leaflet.VectorGrid draw a 204 as an
empty tile and log nothing); 304 when ``If-None-Match`` names the current tile. Every answer carries
a weak ``ETag`` of the workspace version, scope and tile and ``Cache-Control: private, no-cache``:
the browser keeps tiles but asks again each time, so a changed workspace is seen at once and an
unchanged tile costs a 304. Bad addresses (zoom outside 0-22, x or y outside the zoom's grid, not
whole numbers) are 422, unknown layers 404, layers the role may not read 403, said in ``?lang``.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.i18n import t
from app.storage.access import ForbiddenError
from app.storage.vector_tiles import MEDIA_TYPE, parse_address
from app.web.auth import audit
from app.web.deps import BaseStateDep, LangDep, UserDep, WorkspaceDep
from app.web.errors import LayerNotFoundError
from app.web.features import parse_properties
from app.web.pool import run_cpu
from app.web.routes.layers import AUDITED_LAYERS
from app.web.vector_tiles import Tile, VectorTiles

__all__ = ["router", "vector_tiles"]

router = APIRouter(prefix="/api/v1/tiles", tags=["layers"])
_MAKE_LOCK = threading.Lock()

_CACHE_CONTROL = "private, no-cache"


def vector_tiles(request: Request) -> VectorTiles:
    """The app's :class:`VectorTiles` (made on first use)."""
    holder = request.app.state
    tiles = getattr(holder, "vector_tiles", None)
    if tiles is None:
        with _MAKE_LOCK:
            tiles = getattr(holder, "vector_tiles", None)
            if tiles is None:
                tiles = holder.vector_tiles = VectorTiles()
    return tiles  # type: ignore[no-any-return]


@router.get(
    "/{layer}/{z}/{x}/{y}.mvt",
    summary="A layer as a Mapbox Vector Tile (Web Mercator XYZ, extent 4096)",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {}}, "description": "The tile (one MVT layer named as the workspace layer)"},
        204: {"description": "No feature of the layer in this tile (an empty tile)"},
        304: {"description": "Not modified: the If-None-Match ETag is current"},
        404: {"description": "No such layer"},
    },
)
async def vector_tile(
    layer: Annotated[str, Path(description="A layer of /api/v1/layers", examples=["road_edges"])],
    z: Annotated[str, Path(description="Zoom, 0-22", examples=["15"])],
    x: Annotated[str, Path(description="Column, 0 to 2^z - 1 (west to east)", examples=["26843"])],
    y: Annotated[str, Path(description="Row, 0 to 2^z - 1 (north to south, XYZ)", examples=["13747"])],
    request: Request,
    base: BaseStateDep,
    user: UserDep,
    ws: WorkspaceDep,
    lang: LangDep,
    properties: Annotated[
        str | None,
        Query(description="Comma-separated columns to carry, with the layer's id column (empty: only the id; "
                          "default: all)", examples=["name,highway"]),
    ] = None,
) -> Response:
    zi, xi, yi = parse_address(z, x, y)  # InputError (422), said in ?lang by its message key
    _check_layer(ws, layer, lang)
    tiles = vector_tiles(request)
    key = tiles.key(base, user, layer, zi, xi, yi, parse_properties(properties))
    tile = tiles.cached(key)
    if tile is None:  # made on the worker pool: the event loop keeps answering
        tile = await run_cpu(tiles.tile, base, key, user)
    if layer in AUDITED_LAYERS and tiles.first_read(user.username, layer):
        audit(request, "view", f"layer {layer}", via="tiles", z=zi, x=xi, y=yi)
    return _answer(request, tile)


def _check_layer(ws: object, layer: str, lang: str) -> None:
    """404 for a layer the workspace lacks, 403 for one the user's role may not read (as the layers API)."""
    available = [n for n in ws.layers() if n != "meta"]  # type: ignore[attr-defined]
    if layer in available:
        return
    unscoped = getattr(ws, "unscoped", None)
    if layer != "meta" and unscoped is not None and unscoped.has(layer):
        raise ForbiddenError(t("error.layer_forbidden", lang, name=layer))
    raise LayerNotFoundError(t("error.layer_not_found", lang, name=layer, available=", ".join(available)),
                             layer=layer, available=available)


def _answer(request: Request, tile: Tile) -> Response:
    headers = {"ETag": tile.etag, "Cache-Control": _CACHE_CONTROL, "Vary": "Accept-Encoding"}
    match = request.headers.get("if-none-match", "")
    if match and (match.strip() == "*" or tile.etag in [m.strip() for m in match.split(",")]):
        return Response(status_code=304, headers=headers)
    if tile.empty:
        return Response(status_code=204, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        return Response(tile.gzipped, media_type=MEDIA_TYPE, headers={**headers, "Content-Encoding": "gzip"})
    return Response(tile.raw(), media_type=MEDIA_TYPE, headers=headers)
