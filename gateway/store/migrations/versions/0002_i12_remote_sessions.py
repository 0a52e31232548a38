"""remote sessions: the Traffic Center session of an exchange as a row (not a sentence in a step)

Sessions of exchanges that are not finished yet (active or held) were written down only in their
``sessie_geopend`` step's sentence before this revision; they are carried over once, so their afmelding
closes the session they opened.

Revision ID: 0002_i12_sessions
Revises: 0001
Create Date: 2026-12-04
"""

import re
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

    _carry_over_open_sessions()


_SESSIE = re.compile(r"sessie (\S{1,200}) geopend bij het Traffic Center\.$")
_UNFINISHED = ("ontvangen", "in_behandeling", "wacht_op_herhaling", "vastgehouden")


def _carry_over_open_sessions() -> None:
    """The newest session of every unfinished exchange, from its last ``sessie_geopend`` step (once, here)."""
    bind = op.get_bind()
    exchange = sa.table(
        "exchange",
        sa.column("id", sa.Integer),
        sa.column("state", sa.String),
        sa.column("meta", gateway.store.types.JSON),
    )
    event = sa.table(
        "exchange_event",
        sa.column("id", sa.Integer),
        sa.column("exchange_id", sa.Integer),
        sa.column("step", sa.String),
        sa.column("message", sa.String),
        sa.column("at", gateway.store.types.UtcDateTime()),
    )
    rows = bind.execute(
        sa.select(event.c.exchange_id, event.c.message, event.c.at, exchange.c.meta)
        .join(exchange, exchange.c.id == event.c.exchange_id)
        .where(event.c.step == "sessie_geopend", exchange.c.state.in_(_UNFINISHED))
        .order_by(event.c.id)
    ).all()
    newest = {int(r.exchange_id): r for r in rows}
    sessions = []
    for exchange_id, r in newest.items():
        found = _SESSIE.search(r.message or "")
        koppelsleutel = (r.meta or {}).get("koppelsleutel")
        if found and koppelsleutel:
            sessions.append(
                {
                    "exchange_id": exchange_id,
                    "system": "traffic_center",
                    "session_id": found.group(1),
                    "subject": str(koppelsleutel),
                    "state": "open",
                    "close_attempts": 0,
                    "opened_at": r.at,
                }
            )
    if sessions:
        table = sa.table(
            "remote_session",
            *(sa.column(n) for n in ("exchange_id", "system", "session_id", "subject", "state", "close_attempts")),
            sa.column("opened_at", gateway.store.types.UtcDateTime()),
        )
        op.bulk_insert(table, sessions)


def downgrade() -> None:
    with op.batch_alter_table("remote_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_session_exchange_id"))
        batch_op.drop_index("ix_remote_session_state")
    op.drop_table("remote_session")
