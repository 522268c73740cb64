"""imports: a spreadsheet's preview and then its result, row by row

Revision ID: a6b7c8d9e0f1
Revises: f2a3b4c5d6e7
Create Date: 2026-12-04 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6b7c8d9e0f1'
down_revision = 'f2a3b4c5d6e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('domain_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_imports_domain_id_domains'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_imports_created_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_imports')),
    )
    op.create_index(op.f('ix_imports_expires_at'), 'imports', ['expires_at'], unique=False)
    op.create_table(
        'import_rows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('cells', sa.JSON(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('errors', sa.JSON(), nullable=False),
        sa.Column('mailbox_id', sa.Integer(), nullable=True),
        sa.Column('alias_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('fk_import_rows_import_id_imports'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['mailbox_id'], ['mailboxes.id'], name=op.f('fk_import_rows_mailbox_id_mailboxes'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['alias_id'], ['aliases.id'], name=op.f('fk_import_rows_alias_id_aliases'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rows')),
    )
    op.create_index('ix_import_rows_import_line', 'import_rows', ['import_id', 'line'], unique=False)


def downgrade():
    op.drop_index('ix_import_rows_import_line', table_name='import_rows')
    op.drop_table('import_rows')
    op.drop_index(op.f('ix_imports_expires_at'), table_name='imports')
    op.drop_table('imports')
