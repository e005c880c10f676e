"""Time in one convention: naive UTC datetimes in the database, aware ones nowhere."""

from datetime import UTC, datetime


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)
