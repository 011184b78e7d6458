"""Registries for vartist's extension points.

Each point (lyric engines, singers, instruments, avatar links, chat channels) owns one
:class:`Registry`. Built-in engines register with its decorator; third parties register
through the ``vartist.<point>`` entry-point group. Lookups never munge names.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from vartist.errors import PluginError, UnknownEngineError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, point: str, what: str) -> None:
        self.point = point
        self.what = what
        self._entries: dict[str, T] = {}
        self._entry_points_loaded = False
        self._broken: dict[str, str] = {}
        """Plug-ins whose import failed: name → what to tell the user. Reported only when the
        plug-in is asked for, so one broken package does not break the others."""

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
            if ep.name in self._entries:
                continue
            try:
                self._entries[ep.name] = ep.load()
            except Exception as exc:  # a third party's import can fail in any way
                package = ep.dist.name if ep.dist is not None else ep.value.split(":")[0]
                reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                self._broken[ep.name] = (
                    f"the {self.what} plug-in {ep.name!r} (from the package {package!r}) failed "
                    f"to load ({reason}); install what it needs, or reinstall it with "
                    f"`pip install --force-reinstall {package}`"
                )

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._entries)

    def get(self, name: str) -> T:
        if name not in self._entries:
            self._load_entry_points()
        if name in self._broken:
            raise PluginError(self._broken[name])
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise UnknownEngineError(
                f"unknown {self.what} {name!r}; available: {known} "
                f"(third-party engines register in the {self.group!r} entry-point group)"
            ) from None
