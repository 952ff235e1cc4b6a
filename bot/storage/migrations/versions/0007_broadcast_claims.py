"""broadcast claims for every channel: telegram_broadcast_claims becomes broadcast_claims, with
the parts of a split text already delivered and the time a failed row may be tried again

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_telegram_broadcast_claims_claimed', table_name='telegram_broadcast_claims')
    op.drop_index('ix_telegram_broadcast_claims_chat_id', table_name='telegram_broadcast_claims')
    op.rename_table('telegram_broadcast_claims', 'broadcast_claims')
    op.add_column('broadcast_claims', sa.Column('parts_sent', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('broadcast_claims', sa.Column('retry_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_broadcast_claims_chat_id', 'broadcast_claims', ['chat_id'])
    op.create_index('ix_broadcast_claims_claimed', 'broadcast_claims', ['claimed'])


def downgrade() -> None:
    op.drop_index('ix_broadcast_claims_claimed', table_name='broadcast_claims')
    op.drop_index('ix_broadcast_claims_chat_id', table_name='broadcast_claims')
    # Rows waiting for a retry were released claims before 0006; the columns go.
    op.execute("DELETE FROM broadcast_claims WHERE state = 'retry'")
    with op.batch_alter_table('broadcast_claims') as batch:
        batch.drop_column('retry_at')
        batch.drop_column('parts_sent')
    op.rename_table('broadcast_claims', 'telegram_broadcast_claims')
    op.create_index('ix_telegram_broadcast_claims_chat_id', 'telegram_broadcast_claims', ['chat_id'])
    op.create_index('ix_telegram_broadcast_claims_claimed', 'telegram_broadcast_claims', ['claimed'])
