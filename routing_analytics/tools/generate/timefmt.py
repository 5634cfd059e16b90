"""Fast RFC 3339 formatting and opaque ids; both run once or more per generated record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_EPOCH = date(1970, 1, 1)

_UUID_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_VERSION_BITS = (0x4000 << 64) | (0x8000 << 48)


def day_start_ms(day: date) -> int:
    """Epoch milliseconds of 00:00 UTC on day."""
    return (day - _EPOCH).days * DAY_MS


def offset_suffix(offset_min: int) -> str:
    """RFC 3339 zone suffix for an offset in minutes, e.g. 330 -> '+05:30'."""
    sign = "-" if offset_min < 0 else "+"
    hours, minutes = divmod(abs(offset_min), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


class TimeFormatter:
    """Formats epoch milliseconds as RFC 3339 with millisecond precision.

    datetime.isoformat costs several microseconds per call; caching the date prefix per day
    keeps formatting cheap for hundreds of thousands of timestamps.
    """

    def __init__(self) -> None:
        self._prefix: dict[int, str] = {}

    def _day_prefix(self, day_index: int) -> str:
        prefix = (_EPOCH + timedelta(days=day_index)).isoformat() + "T"
        self._prefix[day_index] = prefix
        return prefix

    def format(self, ms: int, offset_min: int = 0, suffix: str = "Z") -> str:
        """Format the instant ms as local time at offset_min, followed by suffix."""
        local = ms + offset_min * 60_000
        day_index, rem = divmod(local, DAY_MS)
        prefix = self._prefix.get(day_index) or self._day_prefix(day_index)
        hour, rem = divmod(rem, HOUR_MS)
        minute, rem = divmod(rem, 60_000)
        second, milli = divmod(rem, 1000)
        return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{milli:03d}{suffix}"


def rfc3339_seconds(moment: datetime) -> str:
    """Second-precision UTC form used in the CSV reference files."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def uuid4_from_bits(bits: int) -> str:
    """Same text as str(uuid.UUID(int=bits, version=4)), without building a UUID object."""
    value = (bits & _UUID_VERSION_MASK) | _UUID_VERSION_BITS
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
