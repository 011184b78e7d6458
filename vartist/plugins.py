"""Registries for vartist's extension points.

Each point (lyric engines, singers, instruments, avatar links, chat channels) owns one
:class:`Registry`. Built-in engines register with its decorator; third parties register
through the ``vartist.<point>`` entry-point group. Lookups never munge names.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from vartist.errors import UnknownEngineError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, point: str, what: str) -> None:
        self.point = point
        self.what = what
        self._entries: dict[str, T] = {}
        self._entry_points_loaded = False

    @property
    def group(self) -> str:
        return f"vartist.{self.point}"

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(entry: T) -> T:
            if name in self._entries and self._entries[name] is not entry:
                raise ValueError(f"{self.what} {name!r} is registered twice")
            self._entries[name] = entry
            return entry

        return decorator

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.group):
            if ep.name not in self._entries:
                self._entries[ep.name] = ep.load()

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._entries)

    def get(self, name: str) -> T:
        if name not in self._entries:
            self._load_entry_points()
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise UnknownEngineError(
                f"unknown {self.what} {name!r}; available: {known} "
                f"(third-party engines register in the {self.group!r} entry-point group)"
            ) from None
