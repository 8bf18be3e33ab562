"""Tiles from a local MBTiles file (SQLite; rows stored TMS-style, y flipped)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from geo.errors import InputError

__all__ = ["MBTiles", "MEDIA_TYPES"]

MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class MBTiles:
    """A read-only raster MBTiles file.

    Raises
    ------
    InputError
        When the file is missing, not an MBTiles database, or holds vector (pbf) tiles.
    """

    path: Path
    format: str
    metadata: dict[str, str]

    @classmethod
    def open(cls, path: str | Path) -> MBTiles:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"MBTiles file '{path}' does not exist; check the --mbtiles path")
        try:
            con = _connect(path)
            try:
                meta = {str(k): str(v) for k, v in con.execute("SELECT name, value FROM metadata")}
                con.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise InputError(
                f"'{path}' is not an MBTiles file ({exc}); it needs 'metadata' and 'tiles' tables"
            ) from exc
        fmt = meta.get("format", "png").lower()
        if fmt not in MEDIA_TYPES:
            raise InputError(
                f"MBTiles '{path}' holds '{fmt}' tiles; only raster png/jpg/webp tiles can be "
                f"shown (render vector tiles to PNG first)"
            )
        return cls(path=path, format="jpg" if fmt == "jpeg" else fmt, metadata=meta)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def url_template(self) -> str:
        return f"/tiles/{{z}}/{{x}}/{{y}}.{self.format}"

    @property
    def attribution(self) -> str:
        return self.metadata.get("attribution", "") or self.metadata.get("name", "")

    @property
    def max_zoom(self) -> int | None:
        raw = self.metadata.get("maxzoom", "")
        return int(raw) if raw.strip().isdigit() else None

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ (z, x, y), or ``None`` when the file has none there."""
        if z < 0 or z > 30 or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
            return None
        con = _connect(self.path)
        try:
            row = con.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, (1 << z) - 1 - y),
            ).fetchone()
        finally:
            con.close()
        return bytes(row[0]) if row else None


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
