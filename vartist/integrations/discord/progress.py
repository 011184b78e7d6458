"""The text of a request's progress message: a bar, the stage, the queue position, an ETA."""

from __future__ import annotations

import time

from vartist.runtime.library import RequestStatus

BAR_CELLS = 16
"""Wide enough to move visibly at each stage, narrow enough for a phone's message width."""
FIRST_RENDER_GUESS_SECONDS = 20.0
"""What a render takes before the bot has seen one finish (a short song on a 2-core CPU)."""
MIN_PROGRESS_FOR_ETA = 0.05
"""Below this an extrapolated ETA is mostly noise; the typical render time stands in."""


def bar(fraction: float) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * BAR_CELLS)
    return "█" * filled + "░" * (BAR_CELLS - filled)


def clock_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def estimate_seconds_left(
    status: RequestStatus, typical_render_seconds: float, now: float | None = None
) -> float | None:
    """Seconds until the song is ready: the render so far extrapolated, or the queue ahead
    times the typical render. None once it finished."""
    now = time.time() if now is None else now
    if status.state == "queued":
        return ((status.position or 0) + 1) * typical_render_seconds
    if status.state == "rendering":
        if status.started_at is not None and status.progress >= MIN_PROGRESS_FOR_ETA:
            elapsed = now - status.started_at
            return elapsed * (1.0 - status.progress) / status.progress
        return typical_render_seconds * (1.0 - status.progress)
    return None


def progress_text(prompt: str, status: RequestStatus, typical_render_seconds: float) -> str:
    """The progress message for ``status``; the fan's prompt was screened before it got here."""
    head = f"🎤 **{prompt}** · request `{status.id}`"
    eta = estimate_seconds_left(status, typical_render_seconds)
    eta_text = f" · ETA {clock_text(eta)}" if eta is not None else ""
    if status.state == "queued":
        ahead = status.position or 0
        where = "next in line" if ahead == 0 else f"{ahead} ahead in the queue"
        return f"{head}\n`{bar(0.0)}` queued · {where}{eta_text}"
    if status.state == "rendering":
        stage = status.stage or "starting"
        return f"{head}\n`{bar(status.progress)}` {status.progress:.0%} · {stage}{eta_text}"
    if status.state in ("done", "delivered"):
        return f"{head}\n`{bar(1.0)}` 100% · finished"
    if status.state == "cancelled":
        return f"{head}\ncancelled"
    if status.state == "failed":
        return f"{head}\nthe render failed; try another prompt"
    return f"{head}\n`{bar(0.0)}` {status.state}"
