"""telegram: edit-key messages, group quizzes with their polls and answers, broadcast claims

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('telegram_messages',
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('edit_key', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    _time('updated'),
    sa.PrimaryKeyConstraint('chat_id', 'edit_key')
    )
    op.create_table('telegram_group_quizzes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=True),
    sa.Column('questions', sa.Text(), nullable=False),
    sa.Column('n_questions', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('open_period', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    _time('next_at'),
    _time('created'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_telegram_group_quizzes_chat_id', 'telegram_group_quizzes', ['chat_id'])
    op.create_index('ix_telegram_group_quizzes_next_at', 'telegram_group_quizzes', ['next_at'])
    op.create_table('telegram_quiz_polls',
    sa.Column('poll_id', sa.String(length=64), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('question_no', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['telegram_group_quizzes.id'], ),
    sa.PrimaryKeyConstraint('poll_id')
    )
    op.create_index('ix_telegram_quiz_polls_quiz_id', 'telegram_quiz_polls', ['quiz_id'])
    op.create_table('telegram_quiz_answers',
    sa.Column('poll_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('option', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    _time('answered'),
    sa.PrimaryKeyConstraint('poll_id', 'user_id')
    )
    op.create_table('telegram_broadcast_claims',
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    _time('claimed'),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], ),
    sa.PrimaryKeyConstraint('broadcast_id')
    )
    op.create_index('ix_telegram_broadcast_claims_chat_id', 'telegram_broadcast_claims', ['chat_id'])
    op.create_index('ix_telegram_broadcast_claims_claimed', 'telegram_broadcast_claims', ['claimed'])


def downgrade() -> None:
    op.drop_index('ix_telegram_broadcast_claims_claimed', table_name='telegram_broadcast_claims')
    op.drop_index('ix_telegram_broadcast_claims_chat_id', table_name='telegram_broadcast_claims')
    op.drop_table('telegram_broadcast_claims')
    op.drop_table('telegram_quiz_answers')
    op.drop_index('ix_telegram_quiz_polls_quiz_id', table_name='telegram_quiz_polls')
    op.drop_table('telegram_quiz_polls')
    op.drop_index('ix_telegram_group_quizzes_next_at', table_name='telegram_group_quizzes')
    op.drop_index('ix_telegram_group_quizzes_chat_id', table_name='telegram_group_quizzes')
    op.drop_table('telegram_group_quizzes')
    op.drop_table('telegram_messages')
