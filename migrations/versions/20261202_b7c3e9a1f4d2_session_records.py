"""session records, password links tied to the password they replace

Sessions kept on the server: one row per login, found by the SHA-256 of the token the cookie
carries, so that logging out, a new password or a deactivation ends them; they replace the
per-account session nonce. Each password link keeps a fingerprint of the password hash it was
made for; links already sent get the fingerprint of the account's password of today.

Revision ID: b7c3e9a1f4d2
Revises: e3f4a5b6c7d8
Create Date: 2026-12-02 09:00:00.000000

"""
import hashlib
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c3e9a1f4d2'
down_revision = 'e3f4a5b6c7d8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('device', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_records_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_records')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_session_records_token_hash'))
    )
    with op.batch_alter_table('session_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_records_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_nonce')

    with op.batch_alter_table('password_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_fingerprint', sa.String(length=64), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT password_tokens.id, users.password_hash FROM password_tokens "
        "JOIN users ON users.id = password_tokens.user_id"
    )).all()
    for token_id, password_hash in rows:
        conn.execute(
            sa.text("UPDATE password_tokens SET password_fingerprint = :f WHERE id = :id"),
            {"f": hashlib.sha256(password_hash.encode()).hexdigest(), "id": token_id},
        )
    with op.batch_alter_table('password_tokens', schema=None) as batch_op:
        batch_op.alter_column('password_fingerprint', existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table('password_tokens', schema=None) as batch_op:
        batch_op.drop_column('password_fingerprint')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_nonce', sa.String(length=32), nullable=True))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.text("SELECT id FROM users")).all():
        conn.execute(
            sa.text("UPDATE users SET session_nonce = :n WHERE id = :id"),
            {"n": secrets.token_hex(8), "id": user_id},
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_nonce', existing_type=sa.String(length=32), nullable=False)

    with op.batch_alter_table('session_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_records_user_id'))

    op.drop_table('session_records')
