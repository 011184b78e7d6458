"""Reading files the user names: bounded in size, regular files only, errors in one line.

A path on the command line can name anything: a FIFO that never ends, ``/dev/zero``, a 1 GB file
where a 10 kB one belongs. Each is refused from its ``stat`` before a byte is read, and no read
takes more than the limit plus one byte, so a file that grows while it is read is caught too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePath

from vartist.errors import StorageError, VartistError, describe_os_error

_KIND_BY_MODE = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def shown(text: object, limit: int = 80) -> str:
    """``text`` as it may appear in a one-line message: control characters escaped, shortened
    to ``limit`` characters so a 1 MB value is never echoed back whole. A path keeps its end
    (the file's name) and loses its beginning; anything else keeps its beginning."""
    whole = str(text)
    flat = whole if whole.isprintable() else repr(whole)[1:-1]
    if isinstance(text, PurePath):
        limit = max(limit, 160)  # deep folders are common; the name at the end matters most
        return flat if len(flat) <= limit else f"…{flat[-(limit - 1) :]}"
    if len(flat) <= limit:
        return flat
    return f"{flat[: limit - 1]}… ({len(whole)} characters)"


def read_user_bytes(
    path: Path, max_bytes: int, what: str, error: type[VartistError] = VartistError
) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes`` of them.

    ``what`` names the file for messages ("persona file"). Raises ``error`` for a missing file,
    a folder, a device, a FIFO or a socket, or a file over the limit, and
    :class:`StorageError` when the machine cannot read it.
    """
    name = shown(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{name}: no such {what}") from None
    except OSError as exc:
        raise StorageError(f"{name}: cannot read the {what} ({describe_os_error(exc)})") from None
    for is_kind, kind in _KIND_BY_MODE:
        if is_kind(info.st_mode):
            raise error(f"{name} is {kind}, not a {what}; pass the path of a file")
    if info.st_size > max_bytes:
        raise error(
            f"{name}: the {what} is {info.st_size} bytes; it may be at most {max_bytes} bytes"
        )
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since the stat, open must not hang
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise StorageError(f"{name}: cannot read the {what} ({describe_os_error(exc)})") from None
    if len(data) > max_bytes:
        raise error(f"{name}: the {what} is over {max_bytes} bytes; it may be at most that")
    return data


def read_user_text(
    path: Path, max_bytes: int, what: str, error: type[VartistError] = VartistError
) -> str:
    """The UTF-8 text of ``path`` (a byte-order mark is dropped), read as :func:`read_user_bytes`."""
    data = read_user_bytes(path, max_bytes, what, error)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"{shown(path)}: the {what} is not UTF-8 text (byte {exc.start} is invalid); "
            "save it as UTF-8"
        ) from None
