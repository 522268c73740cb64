"""stored messages as identifiers

Job outcomes (notice, email_error, last_error, import_summary) and audit entries held English
sentences; they now hold a message identifier and its parameters (webapp.messages), as JSON in
the same text columns. The sentences earlier versions wrote are recognised by the patterns
below, frozen as those versions wrote them (the application's wordings may change later; this
migration must not); anything else is kept whole as legacy text, shown as it was.

Revision ID: e1f2a3b4c5d6
Revises: d8e2f3a4b5c6
Create Date: 2026-12-02 05:30:00.000000

"""
import json
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f2a3b4c5d6'
down_revision = 'd8e2f3a4b5c6'
branch_labels = None
depends_on = None

COLUMNS = {
    'audit_entries': ('message',),
    'mailboxes': ('notice', 'email_error', 'last_error'),
    'aliases': ('last_error',),
    'domains': ('last_error', 'import_summary'),
    'invitations': ('email_error',),
}
STATUSES = {
    'Pending': 'pending', 'Enabled': 'enabled', 'Action required': 'action_required',
    'Failed': 'failed', 'Disabled': 'disabled',
}
ROLES = ('viewer', 'administrator', 'owner')
EMAIL = r'(?P<{}>[^\s@]+@[^\s]+?)'
ADDRESS = r'(?P<address>[^\s@]+@[^\s]+?)'
STATUS = r'(?P<{}>Pending|Enabled|Action required|Failed|Disabled)'
ROLE = r'(?P<role>viewer|administrator|owner)'

# (message identifier, pattern of the sentence earlier versions wrote)
PATTERNS = [
    ('audit.domain_created',
     r'Domain (?P<domain>\S+) created, with support email ' + EMAIL.format('email') + r'\.'),
    ('audit.domain_status_because',
     STATUS.format('old') + ' → ' + STATUS.format('new') + r': (?P<reason>.+)'),
    ('audit.domain_status', STATUS.format('old') + ' → ' + STATUS.format('new') + r'\.'),
    ('audit.domain_checked', r'Checked: (?P<summary>.+)\.'),
    ('audit.mailbox_enabled', r'Mailbox ' + ADDRESS + r' enabled\.'),
    ('audit.mailbox_disabled', r'Mailbox ' + ADDRESS + r' disabled\.'),
    ('audit.mailbox_enabled_later',
     r'Mailbox ' + ADDRESS + r' enabled \(applies when it is created\)\.'),
    ('audit.mailbox_disabled_later',
     r'Mailbox ' + ADDRESS + r' disabled \(applies when it is created\)\.'),
    ('audit.password_sent',
     r'A new password for ' + ADDRESS + ' was sent to ' + EMAIL.format('recipient') + r'\.'),
    ('audit.login_link_sent',
     r'A login link for ' + ADDRESS + ' was sent to ' + EMAIL.format('recipient') + r'\.'),
    ('audit.alias_added',
     ADDRESS + r' now also sends to ' + EMAIL.format('destination') + r'\.'),
    ('audit.alias_removed',
     ADDRESS + r' no longer sends to ' + EMAIL.format('destination') + r'\.'),
    ('audit.access_granted', EMAIL.format('email') + ' was given the ' + ROLE + r' role\.'),
    ('audit.access_changed',
     r'Role of ' + EMAIL.format('email') + r' changed from (?P<old>viewer|administrator|owner)'
     r' to (?P<new>viewer|administrator|owner)\.'),
    ('audit.access_removed', EMAIL.format('email') + r' no longer has access\.'),
    ('audit.access_left', EMAIL.format('email') + r' left the domain\.'),
    ('audit.invitation_sent', EMAIL.format('email') + ' was invited as ' + ROLE + r'\.'),
    ('audit.invitation_sent_again',
     r'The invitation to ' + EMAIL.format('email') + r' was sent again\.'),
    ('audit.invitation_cancelled',
     r'The invitation to ' + EMAIL.format('email') + r' was cancelled\.'),
    ('audit.invitation_accepted',
     EMAIL.format('email') + ' accepted the invitation as ' + ROLE + r'\.'),
    ('drift.pushed',
     r'Sent again to dimail after a loss on its side: (?P<mailboxes>\d+) mailbox\(es\) and '
     r'(?P<aliases>\d+) alias destination\(s\)\.'),
    ('mailbox.email_sent', r'“(?P<subject>.+)” was sent to ' + EMAIL.format('recipient') + r'\.'),
    ('mailbox.password_being_sent',
     r'A new password is being generated and sent to ' + EMAIL.format('recipient') + r'\.'),
    ('mailbox.login_link_being_sent',
     r'A login link is being sent to ' + EMAIL.format('recipient') + r'\.'),
]
COMPILED = [(message_id, re.compile(pattern)) for message_id, pattern in PATTERNS]


def _said(message_id, **params):
    return {'id': message_id, 'params': params}


def _param(name, value):
    """Statuses and roles are messages of their own in the new scheme; numbers are numbers."""
    if name in ('old', 'new') and value in STATUSES:
        return _said(f'domain_status.{STATUSES[value]}')
    if name in ('role', 'old', 'new') and value in ROLES:
        return _said(f'role.{value}')
    if name in ('mailboxes', 'aliases'):
        return int(value)
    if name in ('reason', 'summary', 'subject'):
        return _said('legacy.text', text=value)
    return value


def identify(text):
    """The message an earlier version's sentence was, or the sentence kept as legacy text."""
    for message_id, pattern in COMPILED:
        match = pattern.fullmatch(text)
        if match:
            params = {name: _param(name, value) for name, value in match.groupdict().items()}
            return _said(message_id, **params)
    return _said('legacy.text', text=text)


def _dump(said):
    return json.dumps(said, ensure_ascii=False, sort_keys=True)


def upgrade():
    connection = op.get_bind()
    for table, columns in COLUMNS.items():
        for column in columns:
            rows = connection.execute(
                sa.text(f'SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL')
            ).all()
            changed = [
                {'id': row_id, 'value': _dump(identify(value))}
                for row_id, value in rows
                if not value.startswith('{"id"')
            ]
            if changed:
                connection.execute(
                    sa.text(f'UPDATE {table} SET {column} = :value WHERE id = :id'), changed
                )


def downgrade():
    # Back to sentences: legacy text as it was; identified messages as their parameters said
    # them is beyond this migration, so they keep the JSON, which earlier versions show as is.
    connection = op.get_bind()
    for table, columns in COLUMNS.items():
        for column in columns:
            rows = connection.execute(
                sa.text(f'SELECT id, {column} FROM {table} WHERE {column} LIKE :start'),
                {'start': '{"id": "legacy.text"%'},
            ).all()
            restored = []
            for row_id, value in rows:
                try:
                    restored.append({'id': row_id, 'value': json.loads(value)['params']['text']})
                except (ValueError, KeyError, TypeError):
                    continue
            if restored:
                connection.execute(
                    sa.text(f'UPDATE {table} SET {column} = :value WHERE id = :id'), restored
                )
