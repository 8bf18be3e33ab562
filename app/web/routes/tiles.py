from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from app.web.deps import TilesDep

router = APIRouter(tags=["tiles"])


@router.get(
    "/tiles/{z}/{x}/{y}.{ext}",
    summary="A base-map tile from the local MBTiles file (XYZ numbering)",
    responses={200: {"content": {"image/png": {}}}, 204: {"description": "No tile there"}},
)
def tile(
    z: Annotated[int, Path(ge=0, le=30)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    ext: Annotated[str, Path(pattern="^(png|jpg|jpeg|webp)$")],
    tiles: TilesDep,
) -> Response:
    data = tiles.tile(z, x, y) if tiles is not None else None
    if data is None:
        # Outside the file's coverage: an empty answer, so the browser shows nothing and
        # logs no error for every missing tile.
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=3600"})
    return Response(data, media_type=tiles.media_type if tiles else "image/png",
                    headers={"Cache-Control": "public, max-age=3600"})
