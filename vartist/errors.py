"""The root of vartist's named exceptions.

Every package raises subclasses of :class:`VartistError` whose message says what is wrong
and how to fix it; the CLI prints that message as one line and exits non-zero.
"""


class VartistError(Exception):
    """A problem the user can fix; the message names it and says how."""


class MissingDependencyError(VartistError):
    """An optional dependency an engine needs is not installed."""

    def __init__(self, what: str, install: str) -> None:
        super().__init__(f"{what} needs an optional dependency: install it with `{install}`")


class UnknownEngineError(VartistError):
    """A persona or flag names an engine that no registry holds."""
