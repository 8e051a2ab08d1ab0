"""Column types shared by the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (pass the function itself as a column default)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no time zone, so values come back naive there; this type makes both databases behave the
    same and refuses naive datetimes on the way in, which would otherwise be stored in an unknown zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        # SQLite compares timestamps as text, so store them naive in one zone for a stable ordering.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def sql_values(enum_type: type[enum.StrEnum]) -> str:
    """ "'a', 'b'" for a CHECK (column IN (...)) constraint that matches the enum."""
    return ", ".join(f"'{member.value}'" for member in enum_type)


# Text neither database can keep: PostgreSQL refuses NUL in text columns (SQLite would keep it, so the two
# would differ), and a lone surrogate (from a command-line argument or a YAML escape) has no UTF-8 encoding.
UNSTORABLE = "the NUL character (U+0000) or a lone surrogate (bytes that are not UTF-8)"


def is_storable(text: str) -> bool:
    """Whether `text` can be stored as it is, on SQLite and PostgreSQL alike (see UNSTORABLE)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern (used with escape=LIKE_ESCAPE) matching `text` anywhere, lower-cased, with LIKE's own
    wildcards escaped: someone searching for "first_last" or "100%" means those characters."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
