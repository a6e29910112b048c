"""The search query language, parsed by hand so that no input can make a search fail.

    graph neural networks             words (ranked, not all required)
    "diffusion model"                 a phrase: must appear in the title or abstract
    author:hinton  author:"Yann LeCun"   papers by that author (word or quoted name)
    org:deepmind   org:"Meta AI"      papers of that organization
    cat:cs.CL      cat:cs             arXiv category, or a whole archive

Anything else is plain words. How words rank depends on the query's shape (``ParsedQuery.shape``):

* ``topic``: two or three words ("speculative decoding", "graph neural networks"): a name for a
  subject, so papers that use the words side by side, in this order, rank before papers that use
  them apart;
* ``passage``: ten words or more (a question, a claim or an abstract pasted in): quotation marks
  in it quote rather than constrain (``ParsedQuery.required_phrases`` is empty), so a quoted word
  ranks its papers higher instead of removing every paper without it;
* ``keywords``: anything between.

An unbalanced quote, ``(((``, ``AND OR NOT``, an unknown ``field:``,
control characters or a 10 KB string all degrade to words: the parser never raises, and the
backends build their queries from the parsed parts programmatically, never by handing user text to
a query-string parser.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

Shape = Literal["topic", "keywords", "passage"]

MAX_QUERY_CHARS = 500  # longer input is cut: no title or claim needs more, and cost stays bounded
MAX_PARTS = 64  # words + phrases + field values kept from one query
# Query shapes by the number of words (phrase words included): a topic is two or three words, a
# passage (a question, a claim, a pasted abstract) ten or more. Keyword queries are rarely longer
# than five words and sentences rarely shorter than ten, so neither bound is a fine line.
TOPIC_MAX_WORDS = 3
PASSAGE_MIN_WORDS = 10

FIELDS = {"author": "authors", "org": "organizations", "cat": "categories"}
_TOKEN = re.compile(
    r"""(?P<field>[A-Za-z]+):(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))
      | "(?P<phrase>[^"]*)"
      | (?P<word>[^\s"]+)""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    free_text: str = ""
    """Words and phrases in the order typed, without field filters: what is ranked (BM25 reads
    its words, the embedding model the whole text)."""
    notes: tuple[str, ...] = field(default=(), compare=False)
    """What was dropped or reinterpreted, for an honest "showing results for" line."""

    @property
    def shape(self) -> Shape:
        """``topic``, ``keywords`` or ``passage``, by the number of words (see the module)."""
        count = len(self.free_text.split())
        if count >= PASSAGE_MIN_WORDS:
            return "passage"
        return "topic" if 2 <= count <= TOPIC_MAX_WORDS else "keywords"

    @property
    def required_phrases(self) -> tuple[str, ...]:
        """The phrases every result must contain: none in a passage, where quotes quote."""
        return () if self.shape == "passage" else self.phrases

    @property
    def has_constraints(self) -> bool:
        """Whether some part must hold for every result (phrases and field filters)."""
        return bool(self.required_phrases or self.authors or self.organizations or self.categories)

    @property
    def is_empty(self) -> bool:
        return not (self.free_text.strip() or self.has_constraints)


def clean(text: str) -> tuple[str, bool]:
    """NFKC, control and format characters to spaces, whitespace collapsed, length bounded.

    Returns the text and whether it was cut."""
    text = unicodedata.normalize("NFKC", (text or "")[: MAX_QUERY_CHARS * 4])[: MAX_QUERY_CHARS * 2]
    text = " ".join(
        "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text).split()
    )
    return text[:MAX_QUERY_CHARS], len(text) > MAX_QUERY_CHARS


def parse_query(text: str | None) -> ParsedQuery:
    """Splits a user query into words, phrases and field filters. Never raises."""
    raw = text if isinstance(text, str) else ""
    cleaned, cut = clean(raw)
    notes: list[str] = []
    if cut:
        notes.append(f"query cut to {MAX_QUERY_CHARS} characters")
    parts: dict[str, list[str]] = {
        "words": [],
        "phrases": [],
        "authors": [],
        "organizations": [],
        "categories": [],
    }
    count = 0
    free: list[str] = []
    for match in _TOKEN.finditer(cleaned):
        if count >= MAX_PARTS:
            notes.append(f"only the first {MAX_PARTS} terms are used")
            break
        name = (match.group("field") or "").lower()
        if name in FIELDS:
            value = (
                match.group("quoted") if match.group("quoted") is not None else match.group("bare")
            ).strip()
            if value:
                bucket = FIELDS[name]
                parts[bucket].append(value.lower() if bucket == "categories" else value)
                count += 1
            continue
        if match.group("field"):
            # An unknown field ("title:x", "http://...") is just text.
            parts["words"].append(match.group(0))
            free.append(match.group(0))
        elif match.group("phrase") is not None:
            if match.group("phrase").strip():
                parts["phrases"].append(match.group("phrase").strip())
                free.append(match.group("phrase").strip())
        else:
            parts["words"].append(match.group("word"))
            free.append(match.group("word"))
        count += 1
    return ParsedQuery(
        raw=raw,
        words=tuple(parts["words"]),
        phrases=tuple(parts["phrases"]),
        authors=tuple(parts["authors"]),
        organizations=tuple(parts["organizations"]),
        categories=tuple(parts["categories"]),
        free_text=" ".join(free),
        notes=tuple(notes),
    )
