"""Where the bot token comes from: ``DISCORD_TOKEN`` or a private (0600) file.

The token is a password for the bot's account: it is read here, handed to discord.py, and
never formatted into a message, a log line or a file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from vartist.errors import VartistError
from vartist.userfiles import shown

TOKEN_ENV = "DISCORD_TOKEN"
MAX_TOKEN_FILE_BYTES = 4096
"""A Discord token is about 70 characters; anything much larger is the wrong file."""


class DiscordSetupError(VartistError):
    """The bot cannot start: a missing or unsafe token, a bad endpoint URL."""


def load_token(token_file: Path | None) -> str:
    """The bot token from ``token_file`` (which must be private) or ``$DISCORD_TOKEN``."""
    if token_file is not None:
        return _read_private_token(token_file)
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise DiscordSetupError(
            f"no Discord bot token: set {TOKEN_ENV} or pass --token-file FILE (a file only you "
            "can read: chmod 600 FILE)"
        )
    return token


def _read_private_token(path: Path) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        raise DiscordSetupError(
            f"cannot read the token file {shown(path)}: {exc.strerror}"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise DiscordSetupError(f"the token file {shown(path)} is not a regular file")
    if info.st_mode & 0o077:
        raise DiscordSetupError(
            f"the token file {shown(path)} can be read by other users (mode "
            f"{stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {shown(path)}`"
        )
    if info.st_size > MAX_TOKEN_FILE_BYTES:
        raise DiscordSetupError(f"the token file {shown(path)} is too large to hold a token")
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise DiscordSetupError(f"cannot read the token file {shown(path)} as text") from None
    if not token:
        raise DiscordSetupError(f"the token file {shown(path)} is empty; paste the bot token in it")
    return token
