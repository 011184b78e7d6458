"""The library's tables: who asked, what they asked for, the songs made, where they went.

Times are seconds since the epoch (float): the same on SQLite and PostgreSQL, and what the
lease arithmetic needs. The schema is created and upgraded by the Alembic migrations beside this
file, never by ``create_all``, so a shared PostgreSQL database moves forward one revision at a
time with every machine that uses it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

REQUEST_STATES = (
    "received",
    "screened",
    "queued",
    "rendering",
    "done",
    "failed",
    "cancelled",
    "delivered",
)
"""A request moves left to right; done, failed and cancelled end the work, delivered follows
done once a channel has handed the song to the fan."""
FINISHED_STATES = ("done", "failed", "cancelled", "delivered")
OPEN_STATES = ("received", "screened", "queued", "rendering")


class Base(DeclarativeBase):
    pass


class RequesterRow(Base):
    __tablename__ = "requesters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    """Who asks, as the channel names them: ``discord:81234``, ``http:alice``, ``cli``."""
    last_served_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    """When a worker last took one of their requests; the queue serves the longest-waiting
    requester first (round-robin)."""
    created_at: Mapped[float] = mapped_column(Float)


class RequestRow(Base):
    __tablename__ = "requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("requesters.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    """SHA-256 of the requester and the key they sent (the channel's message id, a client's
    key): the same key from the same requester is the same request."""
    prompt: Mapped[str] = mapped_column(Text)
    lyrics: Mapped[str | None] = mapped_column(Text, nullable=True)
    genre: Mapped[str | None] = mapped_column(String(40), nullable=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    persona: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The persona as it was when the request came in, so any worker renders the same song."""
    priority: Mapped[int] = mapped_column(Integer, default=0)
    """0 for fans, 1 for the live show's lane, which is served first."""
    state: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str | None] = mapped_column(String(16), nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[float | None] = mapped_column(Float, nullable=True)
    """A retry waits until then (back-off)."""
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    song_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    updated_at: Mapped[float] = mapped_column(Float, index=True)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    """When a worker last took the request (a retry starts again)."""
    # none_as_null: a request without a target stores SQL NULL (JSON's own null would pass
    # the ``IS NOT NULL`` that finds requests awaiting a reply)
    reply_to: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    """Where the channel that took the request answers it (channel, fan, progress message
    ids); never a secret such as an interaction token."""


class SongRow(Base):
    __tablename__ = "songs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), unique=True)
    """Unique: one request makes exactly one song, whatever the workers and the queue do."""
    title: Mapped[str] = mapped_column(Text)
    artist: Mapped[str] = mapped_column(Text)
    duration: Mapped[float] = mapped_column(Float)
    genre: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(40))
    tempo: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(BigInteger)
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    """File name in a song folder → SHA-256 of its content in the object store."""
    created_at: Mapped[float] = mapped_column(Float, index=True)


class DeliveryRow(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    channel: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200))
    delivered_at: Mapped[float] = mapped_column(Float)


class ReleaseRow(Base):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    song_id: Mapped[str | None] = mapped_column(ForeignKey("songs.id"), index=True, nullable=True)
    """None while the release's song renders."""
    channel: Mapped[str] = mapped_column(String(40))
    """``files`` for the release folder (written by the scheduler), ``discord:CHANNEL_ID`` for
    the Discord bot to post; ``published_at`` stays None until that channel has it."""
    scheduled_for: Mapped[float] = mapped_column(Float)
    published_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    """The persona's ``[[releases]]`` name; with ``scheduled_for`` and ``channel`` unique
    (migration 0004), so each scheduled run is released once."""
    request_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The request that renders the release's song."""
