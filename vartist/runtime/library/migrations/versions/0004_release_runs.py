"""Releases record which scheduled run made them, so a run is made once, never twice.

A row is claimed (name, scheduled time, channel) before the song renders; the unique
constraint stops a second claim for the same run, and a claim without ``published_at`` is a
run that was interrupted and is finished on the next start.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as table:
        table.add_column(sa.Column("name", sa.String(80), nullable=True))
        table.add_column(sa.Column("request_id", sa.String(32), nullable=True))
        table.alter_column("song_id", existing_type=sa.String(32), nullable=True)
        table.create_unique_constraint("uq_releases_run", ["name", "scheduled_for", "channel"])


def downgrade() -> None:
    with op.batch_alter_table("releases") as table:
        table.drop_constraint("uq_releases_run", type_="unique")
        table.alter_column("song_id", existing_type=sa.String(32), nullable=False)
        table.drop_column("request_id")
        table.drop_column("name")
