"""Vector tiles for the web app: one tile source per workspace state, encoded tiles cached.

``GET /api/v1/tiles/{layer}/{z}/{x}/{y}.mvt`` (``app.web.routes.vector_tiles``) asks
:class:`VectorTiles` of the app. It keeps one :class:`~app.storage.vector_tiles.VectorTileSource`
for the workspace's current version (:func:`open_source`: PostGIS ``ST_AsMVT`` for a PostgreSQL
workspace, the Python cutter for the embedded GeoPackage) and the gzip-compressed tiles it made,
keyed by (workspace version, scope, layer, z, x, y, properties). When the workspace changes (an
import, a stored analysis, a restore: the file is replaced, or the PostgreSQL schema written), the
next request sees a new version and drops the source and every
cached tile, so no one is served a tile of the previous data. The cache holds at most
``max_bytes`` of compressed tiles (least recently used go first); concurrent requests for a tile
being made wait for it rather than making it again.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.storage.access import Principal
from app.storage.pg_layers import PgWorkspace
from app.storage.pg_tiles import PgTileSource
from app.storage.vector_tiles import GpkgTileSource, VectorTileSource
from app.storage.workspace import Workspace
from app.web.state import AppState, LRUCache

__all__ = ["Tile", "VectorTiles", "open_source"]


def open_source(workspace: Workspace | PgWorkspace) -> VectorTileSource:
    """The tile source of a workspace state, by backend: tiles made by PostGIS (``ST_AsMVT``) for a
    PostgreSQL workspace, by :class:`GpkgTileSource` (in this process) for a GeoPackage."""
    if isinstance(workspace, PgWorkspace):
        return PgTileSource(workspace)
    return GpkgTileSource(workspace)


@dataclass(frozen=True)
class Tile:
    """An encoded tile: gzip-compressed MVT bytes (empty: no feature there) and its ETag."""

    gzipped: bytes
    etag: str

    @property
    def empty(self) -> bool:
        return not self.gzipped

    def raw(self) -> bytes:
        return gzip.decompress(self.gzipped) if self.gzipped else b""


class VectorTiles:
    """The app's vector tiles (see the module's text)."""

    def __init__(self, *, max_bytes: int = 64 * 1024 * 1024,
                 source_for: Callable[[Workspace], VectorTileSource] = open_source):
        self._source_for = source_for
        self._lock = threading.Lock()
        self._making_source = threading.Lock()
        self._version: object = None
        self._source: VectorTileSource | None = None
        #: The tiles (keyed by version, scope, layer, z, x, y, properties) within ``max_bytes``.
        self._tiles: LRUCache[tuple[object, ...], Tile] = LRUCache(
            sys.maxsize, weigh=lambda tile: len(tile.gzipped) + 200, max_weight=max_bytes)
        self._audited: set[tuple[str, str]] = set()
        #: Cache drops on a workspace change, for tests and benchmarks.
        self.invalidations = 0

    @property
    def made(self) -> int:
        """Tiles made (cache misses), for tests and benchmarks."""
        return self._tiles.made

    def _current(self, state: AppState) -> object:
        """The workspace's version; a new one drops the source and the cached tiles."""
        try:
            version: object = state.version()
        except FileNotFoundError:
            version = None
        with self._lock:
            if version != self._version:
                if self._version is not None:
                    self.invalidations += 1
                self._version, self._source = version, None
                self._tiles.clear()
                self._audited.clear()
        return version

    def _source_of(self, state: AppState, version: object) -> VectorTileSource:
        with self._making_source:  # one source per version: its layers are prepared once
            with self._lock:
                if self._source is not None and version == self._version:
                    return self._source
            source = self._source_for(state.workspace())
            with self._lock:
                if version == self._version:
                    self._source = source
            return source

    def key(self, state: AppState, scope: Principal | None, layer: str, z: int, x: int, y: int,
            properties: Sequence[str] | None) -> tuple[object, ...]:
        """The cache key of a tile (also fixes the current version: call before :meth:`cached`)."""
        props = None if properties is None else tuple(properties)
        return (self._current(state), scope.scope_key if scope else "*", layer, z, x, y, props)

    def cached(self, key: tuple[object, ...]) -> Tile | None:
        """The tile of ``key`` when it is cached (no work: the request can be answered at once)."""
        return self._tiles.get(key)

    def tile(self, state: AppState, key: tuple[object, ...], scope: Principal | None) -> Tile:
        """The tile of ``key`` (from :meth:`key`), made by the source when not cached (once, while
        other requests for it wait).

        Raises what the source raises (see :class:`~app.storage.vector_tiles.VectorTileSource`).
        """
        version, _, layer, z, x, y, props = key

        def make() -> Tile:
            data = self._source_of(state, version).tile(
                str(layer), int(z), int(x), int(y), scope,  # type: ignore[call-overload]
                properties=None if props is None else list(props))  # type: ignore[arg-type]
            return Tile(gzip.compress(data, 6) if data else b"", _etag(key))

        return self._tiles.get_or_make(key, make)

    def first_read(self, who: str, layer: str) -> bool:
        """True the first time ``who`` reads a tile of ``layer`` in this workspace state (an export to
        audit once, not once per tile)."""
        with self._lock:
            if (who, layer) in self._audited:
                return False
            self._audited.add((who, layer))
            return True

    @property
    def cached_bytes(self) -> int:
        return self._tiles.weight


def _etag(key: tuple[object, ...]) -> str:
    return 'W/"' + hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:24] + '"'
