"""Dates in queries, exact to the day: ``date:2025-11-27``, ``date:2025-11``
(the month), ``date:[2025-11-01 to 2025-11-30]`` (both ends included),
``date:>2025-11-20``, ``date:[-7 days to now]``, ``date:yesterday``.

Whoosh's own date plugin widens ISO dates in ranges to the whole year, so
dates are parsed here, and given to Whoosh's parser as a plugin.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from typing import Any

from whoosh.qparser import syntax
from whoosh.qparser.plugins import TaggingPlugin
from whoosh.query import DateRange, Query

from archive.errors import QueryError
from archive.query.tokens import shown

END_OF_DAY = timedelta(days=1) - timedelta(microseconds=1)
_RELATIVE = re.compile(
    r"(?:(?P<sign>[-+])?(?P<n>\d+)\s*(?P<unit>day|week|month|year)s?(?P<ago>\s+ago)?)$", re.I
)


def span(text: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The first and last moment ``text`` names: a day, a month, a year, or now."""
    now = now or datetime.now()
    value = text.strip().lower()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if value == "now":
        return now, now
    if value == "today":
        return today, today + END_OF_DAY
    if value == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1) + END_OF_DAY
    relative = _RELATIVE.match(value)
    if relative:
        count = int(relative["n"]) * (-1 if relative["sign"] == "-" or relative["ago"] else 1)
        day = _shift(today, count, relative["unit"].lower())
        return day, day + END_OF_DAY
    if re.fullmatch(r"\d{4}", value):
        year = int(value)
        return datetime(year, 1, 1), datetime(year, 12, 31) + END_OF_DAY
    month = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if month:
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            raise QueryError(f"there is no month {number} in {text!r}")
        last = calendar.monthrange(year, number)[1]
        return datetime(year, number, 1), datetime(year, number, last) + END_OF_DAY
    try:
        from dateutil import parser as dateparser

        day = dateparser.parse(value, default=today).replace(
            hour=0, minute=0, second=0, microsecond=0, tzinfo=None
        )
    except (ValueError, OverflowError):
        raise QueryError(
            f"cannot read {text!r} as a date",
            hint="use 2025-11-27, 2025-11, 2025, today, yesterday, or -7 days",
        ) from None
    return day, day + END_OF_DAY


def _shift(day: datetime, count: int, unit: str) -> datetime:
    if unit == "day":
        return day + timedelta(days=count)
    if unit == "week":
        return day + timedelta(weeks=count)
    months = count * (12 if unit == "year" else 1)
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return day.replace(
        year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1])
    )


def date_query(value: str, now: datetime | None = None) -> Query:
    """A DateRange for one ``date:`` value: a day or month, a range, or a comparison."""
    value = value.strip()
    ranged = re.fullmatch(r"([\[{])\s*(.*?)\s*([\]}])", value, flags=re.S)
    if ranged:
        start_text, _, end_text = _split_range(ranged[2])
        # [a to b] keeps both days whole; {a to b} leaves both days out.
        start_excl, end_excl = ranged[1] == "{", ranged[3] == "}"
        start = span(start_text, now)[1 if start_excl else 0] if start_text else None
        end = span(end_text, now)[0 if end_excl else 1] if end_text else None
        if start and end and start > end:
            raise QueryError(f"the date range {value!r} ends before it starts")
        return DateRange("date", start, end, startexcl=start_excl, endexcl=end_excl)
    compared = re.fullmatch(r"([<>]=?)\s*(.+)", value)
    if compared:
        first, last = span(compared[2], now)
        operator = compared[1]
        if operator == ">":
            return DateRange("date", last, None, startexcl=True)
        if operator == ">=":
            return DateRange("date", first, None)
        if operator == "<":
            return DateRange("date", None, first, endexcl=True)
        return DateRange("date", None, last)
    first, last = span(value, now)
    return DateRange("date", first, last)


def _split_range(inner: str) -> tuple[str, str, str]:
    parts = re.split(r"(?:^|\s+)to(?:\s+|$)", inner, maxsplit=1, flags=re.I)
    if len(parts) != 2:
        raise QueryError(
            f"a date range needs 'to': {shown('[' + inner + ']')}",
            hint="date:[2025-11-01 to 2025-11-30]",
        )
    return parts[0].strip(), "to", parts[1].strip()


class DateNode(syntax.SyntaxNode):
    """A ``date:`` clause in a parsed query."""

    has_fieldname = False
    has_text = False
    has_boost = False

    def __init__(self, value: str) -> None:
        self.value = value
        self.query_ = date_query(value)  # errors surface while parsing

    def r(self) -> str:
        return f"<date {self.value!r}>"

    def query(self, parser: Any) -> Query:
        return self.query_


class DatePlugin(TaggingPlugin):
    """Tags ``date:VALUE`` before Whoosh's field plugin sees it."""

    priority = -10
    expr = r"(?i)date:(?P<value>[\[{][^\]}]*[\]}]|[<>]=?[^\s()]+|-\d+\s+\w+|[^\s()]+)"
    nodetype = DateNode
