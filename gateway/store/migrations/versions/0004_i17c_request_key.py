"""hulpvraag.request_key: the adapter's "same request" key, opaque to the core, unique per source system

Replaces ``hulpvraag.esis_request_key`` (the core no longer names ESIS): its values are carried over into
``request_key`` (those rows are all ``source_system = 'esis'``).

Revision ID: 0004_i17c_request_key
Revises: 0002_i16_status_catalogue
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_i17c_request_key"
down_revision: str | None = "0002_i16_status_catalogue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hulpvraag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.execute("UPDATE hulpvraag SET request_key = esis_request_key WHERE esis_request_key IS NOT NULL")
    with op.batch_alter_table("hulpvraag", schema=None) as batch_op:
        batch_op.drop_column("esis_request_key")
        batch_op.create_unique_constraint("uq_hulpvraag_request_key", ["source_system", "request_key"])


def downgrade() -> None:
    with op.batch_alter_table("hulpvraag", schema=None) as batch_op:
        batch_op.drop_constraint("uq_hulpvraag_request_key", type_="unique")
        batch_op.add_column(sa.Column("esis_request_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.execute("UPDATE hulpvraag SET esis_request_key = request_key WHERE source_system = 'esis'")
    with op.batch_alter_table("hulpvraag", schema=None) as batch_op:
        batch_op.drop_column("request_key")
        batch_op.create_unique_constraint("hulpvraag_esis_request_key_key", ["esis_request_key"])
