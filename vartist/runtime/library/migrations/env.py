"""Alembic's entry point; vartist runs it in-process on the connection it hands over."""

from __future__ import annotations

from alembic import context

from vartist.runtime.library.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
)
with context.begin_transaction():
    context.run_migrations()
