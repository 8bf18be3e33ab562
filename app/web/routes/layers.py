from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from app.i18n import layer_label
from app.web.auth import audit
from app.web.deps import LangDep, StateDep, WorkspaceDep
from app.web.figures import layer_frames, layer_texts
from app.web.features import layer_geojson_bytes, parse_bbox, parse_properties
from app.web.pool import run_cpu

router = APIRouter(prefix="/api/v1/layers", tags=["layers"])

GEOJSON = "application/geo+json"


@router.get("", summary="The workspace's layers")
def list_layers(ws: WorkspaceDep, lang: LangDep) -> list[dict[str, Any]]:
    return [
        {"name": li.name, "label": layer_label(li.name, lang), "geometry_type": li.geometry_type,
         "features": li.features, "href": f"/api/v1/layers/{li.name}"}
        for li in ws.info().layers
    ]


@router.get(
    "/{name}",
    summary="A layer as a GeoJSON FeatureCollection (WGS84), paginated",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}}, 404: {"description": "No such layer"}},
)
async def get_layer(
    name: str,
    ws: WorkspaceDep,
    state: StateDep,
    lang: LangDep,
    request: Request,
    bbox: Annotated[
        str | None,
        Query(description="WGS84 min_lon,min_lat,max_lon,max_lat", examples=["114.9,27.8,114.96,27.84"]),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Features per page")] = 1000,
    offset: Annotated[int, Query(ge=0, description="Features to skip")] = 0,
    properties: Annotated[
        str | None,
        Query(description="Comma-separated columns to return (empty: none; default: all)",
              examples=["beat_id,owner_kind"]),
    ] = None,
    simplify_m: Annotated[
        float, Query(ge=0, le=1000, description="Simplify geometries by this many metres (0: exact)")
    ] = 0.0,
) -> Response:
    body = await run_cpu(
        layer_geojson_bytes, ws, name, bbox=parse_bbox(bbox, lang=lang), limit=limit, offset=offset,
        lang=lang, properties=parse_properties(properties), simplify_m=simplify_m,
        frames=layer_frames(state), texts=layer_texts(state), views=state.cached_view,
    )
    if name in AUDITED_LAYERS and offset == 0:  # who saw the gap list, and when (once per read, not per page);
        audit(request, "view", f"layer {name}", bbox=bbox, via="api")  # a file taken is an "export"
    return Response(body, media_type=GEOJSON)


#: Layers whose reading is an export in the audit log: the gap list tells where no camera looks.
AUDITED_LAYERS = frozenset({"camera_gaps"})
