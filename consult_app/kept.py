"""A small least-recently-used store shared by the threads of one process: what the caches of this app keep."""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app


class LeastRecentlyUsed:
    """Values by key, at most `size` of them, the least recently used first out (size 0 keeps nothing)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key, page) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def in_app(key: str, size: int) -> LeastRecentlyUsed:
    """The current app's store named `key` (in app.extensions), made with `size` places when first asked for:
    each app keeps its own, so apps made side by side (the tests, another worker) never share one."""
    extensions = current_app.extensions
    kept = extensions.get(key)
    if kept is None:
        kept = extensions.setdefault(key, LeastRecentlyUsed(size))  # two threads at once: both get the one set
    return kept
