"""Publication dates from the many ways news data writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Dates outside this range are typos or placeholders, not publication dates.
EARLIEST, LATEST = datetime(1800, 1, 1), datetime(2200, 1, 1)


def parse_date(value: Any) -> datetime | None:
    """A naive UTC datetime, or None when ``value`` holds no date.

    Raises ValueError with a short reason when ``value`` is there but cannot
    be read as a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:  # seconds, or milliseconds since 1970
            parsed = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"date {value!r} is out of range") from None
    else:
        parsed = _parse_text(str(value).strip())
    if parsed.tzinfo is not None:
        try:  # year 1 ahead of UTC, or 9999 behind it, has no UTC date
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except (OverflowError, ValueError):
            raise ValueError(f"date {value!r} is out of range") from None
    if not EARLIEST <= parsed <= LATEST:
        raise ValueError(f"date {value!r} is out of range")
    return parsed


def _parse_text(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    from dateutil import parser

    try:
        return parser.parse(text)
    except (ValueError, OverflowError) as err:
        raise ValueError(f"unparsable date {text!r}") from err
