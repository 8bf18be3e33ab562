"""Per-app state: the open workspace (reopened when its file is replaced) and rendered maps."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from app.web.config import Settings
from app.web.tasks import JobManager
from app.web.tiles import MBTiles
from geo.users import UserStore
from geo.workspace import Workspace

__all__ = ["AppState", "LRUCache"]

K = TypeVar("K")
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int = 8):
        self._size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = make()  # outside the lock: rendering may take a while
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


@dataclass
class AppState:
    settings: Settings
    tiles: MBTiles | None = None
    maps: LRUCache[tuple[object, ...], object] = field(default_factory=lambda: LRUCache(8))
    #: Derived data (prepared incidents, figures, layer frames) keyed by workspace version.
    data: LRUCache[tuple[object, ...], object] = field(default_factory=lambda: LRUCache(32))
    jobs: JobManager | None = None
    #: The workspace's users and sessions (``.<name>.users.sqlite`` beside it).
    users: UserStore = None  # type: ignore[assignment]
    #: Failed sign-ins per client and user name (see :class:`app.web.auth.LoginLimiter`).
    limiter: Any = None
    _ws: Workspace | None = None
    _ws_key: tuple[int, int, int] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.users is None:
            self.users = UserStore(self.settings.workspace_path)

    def version(self) -> tuple[int, int, int]:
        """Changes whenever the workspace file is (atomically) replaced."""
        st = os.stat(self.settings.workspace_path)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def cached(self, *key: object, make: Callable[[], V]) -> V:
        """``make()`` cached for the current workspace version and ``key``."""
        try:
            version: object = self.version()
        except FileNotFoundError:
            version = None
        return self.data.get_or_make((version, *key), make)  # type: ignore[return-value]

    def workspace(self) -> Workspace:
        """The workspace, reopened when its file changed since the last call."""
        try:
            key = self.version()
        except FileNotFoundError:
            key = None
        with self._lock:
            if self._ws is None or key is None or key != self._ws_key:
                self._ws = Workspace(self.settings.workspace_path)  # raises WorkspaceError
                self._ws_key = key
            return self._ws
