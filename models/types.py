"""Column types shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Numeric, TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC instants on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware instants only")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Points = Numeric(7, 2, asdecimal=True)

__all__ = ["Points", "UTCDateTime", "datetime"]
