from datetime import UTC, datetime


def utcnow() -> datetime:
    # Naive UTC everywhere: SQLite has no time zones, and mixing aware and naive values breaks
    # comparisons between the two databases the suite runs on.
    return datetime.now(UTC).replace(tzinfo=None)


# Indexes that some databases have and others lack, whatever the models say: PostgreSQL's
# trigram index of the mailbox search (migration c9d0e1f2a3b4), which needs an extension the
# database account may not be allowed to create. Left out when the schema is compared with the
# models (migrations/env.py, tests/test_migrations.py).
DATABASE_SPECIFIC_INDEXES = frozenset({"ix_mailboxes_search_key_trgm"})


def compared(_object, name, type_, _reflected, _compare_to) -> bool:
    """Alembic's include_object: whether the comparison of schema and models looks at it."""
    return not (type_ == "index" and name in DATABASE_SPECIFIC_INDEXES)
