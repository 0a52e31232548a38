"""status catalogue: the allowed steps between statuses (statusovergang), seeded for every SWV

Revision ID: 0002_i16_status_catalogue
Revises: 0002_i12_sessions
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_i16_status_catalogue"
down_revision: str | None = "0002_i12_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statusovergang",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("swv_id", sa.Integer(), nullable=False),
        sa.Column("van", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("naar", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["swv_id"], ["swv.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("swv_id", "van", "naar"),
    )
    with op.batch_alter_table("statusovergang", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statusovergang_swv_id"), ["swv_id"], unique=False)
    _seed_existing_swvs()


def _seed_existing_swvs() -> None:
    """Every SWV already in the database gets the handbook's statuses (those it lacks) and steps."""
    from gateway.store.status_seed import status_rows, transition_rows

    bind = op.get_bind()
    status = sa.table("status", sa.column("swv_id"), sa.column("naam"), sa.column("afgesloten"))
    step = sa.table("statusovergang", sa.column("swv_id"), sa.column("van"), sa.column("naar"))
    for (swv_id,) in bind.execute(sa.text("SELECT id FROM swv")).all():
        have = {n for (n,) in bind.execute(sa.text("SELECT naam FROM status WHERE swv_id = :s"), {"s": swv_id})}
        new = [{"swv_id": swv_id, "naam": n, "afgesloten": c} for n, c in status_rows() if n not in have]
        if new:
            bind.execute(status.insert(), new)
        bind.execute(step.insert(), [{"swv_id": swv_id, "van": v, "naar": n} for v, n in transition_rows()])


def downgrade() -> None:
    with op.batch_alter_table("statusovergang", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statusovergang_swv_id"))
    op.drop_table("statusovergang")
