"""Per-app state: the open workspace (reopened when its file is replaced, or when a PostgreSQL
workspace is written) and rendered maps."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from app.storage import LayerStore, open_store
from app.storage.base import UserStoreProtocol
from app.storage.workspace import file_version
from app.web.config import Settings
from app.web.tasks import JobManager
from app.web.tiles import MBTiles

__all__ = ["AppState", "LRUCache"]

K = TypeVar("K")
V = TypeVar("V")


class _Pending:
    """A value being made by one thread while others wait for it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class LRUCache(Generic[K, V]):
    """A thread-safe least-recently-used cache whose misses are made once ("single flight"):
    while one thread makes a key's value, the other threads asking for that key wait for it instead
    of making it again (under load, forty threads rendering the same page at once starve the server)."""

    def __init__(self, size: int = 8, *, weigh: Callable[[V], int] | None = None, max_weight: int | None = None):
        """At most ``size`` values; with ``weigh`` (e.g. a value's bytes), also at most ``max_weight``
        in all (a value weighing more is given out but not kept)."""
        self._size = size
        self._weigh = weigh
        self._max_weight = max_weight
        self._weights: dict[K, int] = {}
        self.weight = 0
        self._data: OrderedDict[K, V] = OrderedDict()
        self._pending: dict[K, _Pending] = {}
        self._lock = threading.Lock()
        #: How many values were made (misses), for tests and benchmarks.
        self.made = 0

    def get(self, key: K) -> V | None:
        """The value of ``key`` when it is kept (no work), else None."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            return None

    def clear(self) -> None:
        """Forget every kept value (values being made are kept when done)."""
        with self._lock:
            self._data.clear()
            self._weights.clear()
            self.weight = 0

    def _keep(self, key: K, value: V) -> None:
        """Keep ``value`` (under the lock), dropping the least recently used beyond the bounds."""
        w = self._weigh(value) if self._weigh is not None else 0
        if self._max_weight is not None and w > self._max_weight:
            return
        if key in self._data:
            self.weight -= self._weights.pop(key, 0)
        self._data[key] = value
        self._data.move_to_end(key)
        self._weights[key] = w
        self.weight += w
        while len(self._data) > self._size or (self._max_weight is not None and self.weight > self._max_weight):
            old, _ = self._data.popitem(last=False)
            self.weight -= self._weights.pop(old, 0)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = _Pending()
        assert pending is not None
        if not owner:
            pending.done.wait()
            if pending.error is not None:
                raise pending.error
            return pending.value  # type: ignore[no-any-return]
        try:
            value = make()  # outside the lock: rendering may take a while
        except BaseException as exc:
            pending.error = exc
            raise
        else:
            pending.value = value
            with self._lock:
                self._keep(key, value)
                self.made += 1
            return value
        finally:
            with self._lock:
                self._pending.pop(key, None)
            pending.done.set()



@dataclass
class AppState:
    settings: Settings
    tiles: MBTiles | None = None
    #: Rendered pages (two per scope: HTML and gzip) keyed by scope, workspace version and language;
    #: sized for the district, the analysts and a dozen stations in two languages.
    maps: LRUCache[tuple[object, ...], object] = field(default_factory=lambda: LRUCache(64))
    #: Derived data (prepared incidents, figures, layer frames) keyed by scope and workspace version
    #: (about ten per scope).
    data: LRUCache[tuple[object, ...], object] = field(default_factory=lambda: LRUCache(256))
    #: The rows of a layer in a view asked for (bbox), keyed by scope, workspace version, layer and
    #: bbox: every user of a scope opens the dashboard on the same view (small arrays; many views;
    #: at most 64 MB of them, so that many large views asked for cannot fill the memory).
    views: LRUCache[tuple[object, ...], object] = field(default_factory=lambda: LRUCache(
        2048, weigh=lambda rows: int(getattr(rows, "nbytes", 0)) + 100, max_weight=64 * 1024 * 1024))
    #: Password verifications running at once (each Argon2id hash takes 64 MiB and ~0.2 s of a core).
    verify_slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(2))
    #: Verifications for one user name run one after another (striped locks: no growth per name),
    #: so that its failure budget is exact even for concurrent guesses.
    verify_stripes: tuple[threading.Lock, ...] = field(default_factory=lambda: tuple(threading.Lock() for _ in range(64)))
    jobs: JobManager | None = None
    #: The workspace's users and sessions (``.<name>.users.sqlite`` beside it, or its PostgreSQL schema).
    users: UserStoreProtocol = None  # type: ignore[assignment]
    #: Failed sign-ins per client and user name (see :class:`app.web.auth.LoginLimiter`).
    limiter: Any = None
    _ws: LayerStore | None = None
    _ws_key: tuple[object, ...] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.users is None:
            self.users = self.store().users()

    def store(self) -> Any:
        """The workspace's store (:func:`app.storage.open_store`): users, audit log, records, jobs."""
        return open_store(self.settings.location)

    def version(self) -> tuple[object, ...]:
        """Changes whenever the workspace file is (atomically) replaced, or a PostgreSQL workspace
        is written (its ``meta``: :meth:`app.storage.pg_store.PgStore.version`)."""
        if not self.settings.is_file:
            return tuple(self.store().version())
        return file_version(self.settings.workspace_path)

    def cached(self, *key: object, make: Callable[[], V]) -> V:
        """``make()`` cached for the current workspace version and ``key``."""
        try:
            version: object = self.version()
        except FileNotFoundError:
            version = None
        return self.data.get_or_make((version, *key), make)  # type: ignore[return-value]

    def cached_view(self, *key: object, make: Callable[[], V]) -> V:
        """As :meth:`cached`, in the cache of views' rows (:attr:`views`)."""
        try:
            version: object = self.version()
        except FileNotFoundError:
            version = None
        return self.views.get_or_make((version, *key), make)  # type: ignore[return-value]

    def workspace(self) -> LayerStore:
        """The workspace, reopened when its file (or PostgreSQL ``meta``) changed since the last call."""
        try:
            key = self.version()
        except FileNotFoundError:
            key = None
        with self._lock:
            if self._ws is None or key is None or key != self._ws_key:
                self._ws = self.store().workspace()  # raises WorkspaceError
                self._ws_key = key
            return self._ws
