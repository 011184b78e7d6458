"""The root of vartist's named exceptions.

Every package raises subclasses of :class:`VartistError` whose message says what is wrong
and how to fix it; the CLI prints that message as one line and exits non-zero.
"""

from __future__ import annotations

import errno

EXIT_USER_ERROR = 2
"""A problem with what the user asked for (sysexits' EX_USAGE family uses 2 in most tools)."""
EXIT_IO_ERROR = 74
"""sysexits.h EX_IOERR: the machine could not read or write what vartist needed."""


class VartistError(Exception):
    """A problem the user can fix; the message names it and says how."""

    exit_code = EXIT_USER_ERROR


class StorageError(VartistError):
    """Reading or writing a file failed for a reason of the machine (disk full, permissions)."""

    exit_code = EXIT_IO_ERROR


class MissingDependencyError(VartistError):
    """An optional dependency an engine needs is not installed."""

    def __init__(self, what: str, install: str) -> None:
        super().__init__(f"{what} needs an optional dependency: install it with `{install}`")


class UnknownEngineError(VartistError):
    """A persona or flag names an engine that no registry holds."""


class PluginError(VartistError):
    """A third-party plug-in is installed but cannot be loaded."""


# What an OSError means to someone at a terminal, by errno. strerror's wording varies by libc
# and says "No space left on device" where people say "disk full".
_PLAIN_OS_PROBLEMS: dict[int, str] = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENAMETOOLONG: "name too long",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?)",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOENT: "no such file or folder",
    errno.EIO: "input/output error (a failing disk or a disconnected drive?)",
    errno.EMFILE: "too many open files",
    errno.EXDEV: "crosses file systems",
    errno.EBUSY: "busy (in use by another program or a mount point)",
    errno.EPIPE: "the reader closed the pipe",
    errno.EADDRINUSE: "the address is already in use",
    errno.EADDRNOTAVAIL: "the address is not one of this machine's",
}


def describe_os_error(exc: OSError) -> str:
    """A short, plain phrase for an OSError ("disk full"), without the path."""
    if exc.errno in _PLAIN_OS_PROBLEMS:
        return _PLAIN_OS_PROBLEMS[exc.errno]
    return exc.strerror or type(exc).__name__
