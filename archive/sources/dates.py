"""Publication dates from the many ways news data writes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
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
    except (ValueError, OverflowError):
        pass
    tried = len(text) <= LONGEST and _YEAR.search(text)
    found = _in_other_language(text) if tried else None
    if found is None:
        raise ValueError(f"unparsable date {text!r}")
    return found


LONGEST = 80  # a written date is short; longer text is not tried in every language
_YEAR = re.compile(r"(?<!\d)(1[89]|2[01])\d\d(?!\d)")  # a date needs a year we keep
_ABSOLUTE = {
    "PARSERS": ["custom-formats", "absolute-time"],  # never "yesterday" read today
    "STRICT_PARSING": True,  # day, month and year all written
    "RETURN_AS_TIMEZONE_AWARE": True,
}


@lru_cache(maxsize=4096)  # feeds repeat their dates; a bad one is tried once a run
def _in_other_language(text: str) -> datetime | None:
    """A date written with month and day names of another language
    (``Seg, 24 Set 2018 19:42:40 -0300``), by dateparser, or None."""
    import dateparser

    try:
        return dateparser.parse(text, settings=_ABSOLUTE)
    except (ValueError, OverflowError):
        return None
