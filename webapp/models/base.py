from datetime import UTC, datetime


def utcnow() -> datetime:
    # Naive UTC everywhere: SQLite has no time zones, and mixing aware and naive values breaks
    # comparisons between the two databases the suite runs on.
    return datetime.now(UTC).replace(tzinfo=None)
