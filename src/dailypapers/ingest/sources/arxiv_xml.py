"""What arXiv's two XML answers share (the API's Atom feed and OAI-PMH): parsing them safely, the
text of an element with double-encoded UTF-8 repaired, and their ISO dates.

One text cleaner serves both formats, which carry the same arXiv metadata. Recorded API answers
hold UTF-8 read as Latin-1 ("WÃ¼bben" for "Wübben"); the repair applies only when the whole
string round-trips, and leaves every one of the ~730,000 real titles, abstracts and names of the
listings, Hugging Face and Kaggle data unchanged, accents and all.
"""

from __future__ import annotations

import datetime as dt
import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# A Latin-1 reading of a UTF-8 lead byte followed by a continuation byte.
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]")


class UnreadableXml(ValueError):
    """Not well-formed XML, or XML that defusedxml refuses (entity expansion, external entities)."""


def parse_xml(body: bytes | str) -> Element:
    """The root element. Bytes let the XML declaration, not a guess, decide the encoding."""
    try:
        return fromstring(body)
    except (ParseError, DefusedXmlException) as exc:
        raise UnreadableXml(f"{type(exc).__name__}: {exc}") from None


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 bytes decoded as Latin-1 (``'WÃ¼bben'`` -> ``'Wübben'``).

    Only applied when the whole string round-trips, so genuine Latin-1 text (``'Ã©cole'`` typed on
    purpose is vanishingly rare; ``'Müller'`` does not round-trip) is left alone.
    """
    if not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def element_text(element: Element | None) -> str:
    """The element's own text, repaired; ``""`` for a missing element or an empty one."""
    if element is None or element.text is None:
        return ""
    return repair_mojibake(element.text)


def parse_when(value: str) -> dt.datetime | None:
    """An ISO date or date-time (``2024-01-25``, ``2016-05-26T17:59:46Z``), in UTC when it names
    no zone; ``None`` when blank or unreadable."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
