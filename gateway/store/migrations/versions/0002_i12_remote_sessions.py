"""remote sessions: the Traffic Center session of an exchange as a row (not a sentence in a step)

Revision ID: 0002_i12_sessions
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.store.types

revision: str = "0002_i12_sessions"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "remote_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("system", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("resultaat", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("close_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("close_attempts", sa.Integer(), nullable=False),
        sa.Column("opened_at", gateway.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", gateway.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["exchange_id"], ["exchange.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("system", "session_id"),
    )
    with op.batch_alter_table("remote_session", schema=None) as batch_op:
        batch_op.create_index("ix_remote_session_state", ["state", "opened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_remote_session_exchange_id"), ["exchange_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("remote_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_session_exchange_id"))
        batch_op.drop_index("ix_remote_session_state")
    op.drop_table("remote_session")
