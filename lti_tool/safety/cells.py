"""One escape for every spreadsheet cell Ritmo writes (CSV exports), the OWASP way.

A spreadsheet program runs a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula (and a tab,
CR or LF in front can hide the sign from a first glance, while the program still evaluates it), so
such a text cell gets a leading single quote. The test is on the text, not on whether it "looks like
a number": ``-1+1+cmd|' /C calc'!A0`` starts like one. Numbers the export writes on purpose (an ``int``
or ``float``) stay numbers; every ``str`` is text from someone and is escaped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

#: First characters that make a spreadsheet evaluate a cell, with their fullwidth forms (some
#: programs fold those to ASCII on import) and the whitespace controls that may precede them.
TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
QUOTE = "'"


def cell(value: Any) -> Any:
    """``value`` as it may go into a spreadsheet cell: numbers as they are, text made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text[:1] in TRIGGERS or text.lstrip(" ")[:1] in TRIGGERS:
        return QUOTE + text
    return text


def uncell(text: str) -> str:
    """The text an escaped cell of our own export stood for (for re-import): the quote removed."""
    if text[:1] == QUOTE and (text[1:2] in TRIGGERS or text[1:].lstrip(" ")[:1] in TRIGGERS):
        return text[1:]
    return text


class Writer:
    """A :func:`csv.writer` whose every cell goes through :func:`cell`."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: IO[str], **options: Any) -> Writer:
    """The CSV writer every export uses."""
    return Writer(stream, **options)
