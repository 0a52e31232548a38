"""exchange.handoff_version: the version of the intake's typed hand-off stored in ``meta`` (NULL: written
before hand-offs were versioned; the adapter reads those as the old meta dict)

Revision ID: 0004_i17b_handoff_version
Revises: 0004_i17c_request_key
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_i17b_handoff_version"
down_revision: str | None = "0004_i17c_request_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handoff_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_column("handoff_version")
