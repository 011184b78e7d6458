"""`vartist discord`: load the token, point discord.py at its endpoints, run until stopped."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

from vartist.integrations.discord.credentials import DiscordSetupError, load_token
from vartist.integrations.discord.endpoints import Endpoints
from vartist.persona import Persona
from vartist.runtime.workers import ServiceSettings

REDACTED = "[redacted]"
_INTERACTION_TOKEN_IN_URL = re.compile(r"(/(?:webhooks|interactions)/\d+/)[^/\s?]+")
"""discord.py's debug log names interaction webhook URLs, whose last part is the interaction's
token: a secret for 15 minutes."""
_TOKEN_FIELD = re.compile(r"""(["']token["']\s*:\s*["'])[^"']+(["'])""")
"""The same token inside a gateway event (an INTERACTION_CREATE), as the debug log prints it."""


class RedactSecrets(logging.Filter):
    """Replace the bot token wherever it would appear in a log record.

    Neither discord.py nor the bot logs the token, but a library's exception text or a debug
    line may quote a header or URL one day; this is the last line of defence."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _INTERACTION_TOKEN_IN_URL.sub(rf"\g<1>{REDACTED}", text)
        return _TOKEN_FIELD.sub(rf"\g<1>{REDACTED}\g<2>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _log_to_stderr(token: str, level: int) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets([token]))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in ("discord", "vartist"):
        logging.getLogger(name).setLevel(level)


def run_discord_bot(
    settings: ServiceSettings, persona: Persona, token_file: Path | None, verbose: bool = False
) -> None:
    """Run the bot until Ctrl-C or SIGTERM; setup problems raise :class:`DiscordSetupError`."""
    import discord

    from vartist.integrations.discord.bot import SongBot
    from vartist.runtime.service import Service

    token = load_token(token_file)
    endpoints = Endpoints.from_environment()
    endpoints.apply()
    _log_to_stderr(token, logging.DEBUG if verbose else logging.INFO)
    service = Service.open(settings, persona, persona.discord.open_requests)
    bot = SongBot(service, endpoints)

    async def main() -> None:
        async with bot:
            await bot.start(token, reconnect=True)

    try:
        asyncio.run(main())
    except discord.LoginFailure:
        raise DiscordSetupError(
            "Discord refused the bot token; copy it again from the developer portal "
            "(Bot → Reset Token)"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise DiscordSetupError("Discord refused the bot's gateway intents") from None
    finally:
        service.close()
