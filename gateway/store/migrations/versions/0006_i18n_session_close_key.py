"""remote_session: an index on (system, close_key), so claiming a closing message's session is a look-up, not a
scan of every session ever closed (national scale: 100,000 stored exchanges)

Revision ID: 0006_i18n_session_close_key
Revises: 0004_i17b_handoff_version
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_i18n_session_close_key"
down_revision: str | None = "0004_i17b_handoff_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("remote_session", schema=None) as batch_op:
        batch_op.create_index("ix_remote_session_close_key", ["system", "close_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("remote_session", schema=None) as batch_op:
        batch_op.drop_index("ix_remote_session_close_key")
