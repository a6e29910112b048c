"""What the search engine indexes: a plain ``SearchDocument``, independent of Django.

The engine indexes these, not model instances, so the product (papers from the database) and the
benchmarks (a BEIR corpus in a temporary folder) go through the very same index classes.
``content_hash`` names exactly what an index holds for a document; the indexing state compares it
with the database to find what is missing or stale. ``filter_terms`` are the exact-match terms a
document is filtered by (categories with their archives, ``has:code``): both keyword backends
store the same ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

# Bump when the meaning of an indexed field changes: every stored hash then differs and a resume
# re-indexes everything.
DOCUMENT_FORMAT = (
    3  # 2: has_code; 3: the PostgreSQL body tsvector holds the english analyzer's tokens
)


@dataclass(frozen=True, slots=True)
class SearchDocument:
    doc_id: int
    """Primary key of the paper (or a running number for a plain corpus)."""
    key: str
    """External id shown to people: the arXiv id, or a corpus document id."""
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: dt.datetime | None = None
    has_code: bool = False
    """The paper links a code repository (the "has code" search filter)."""
    _hash: list[str] = field(default_factory=list, compare=False, repr=False)

    def embedding_text(self) -> str:
        """What the embedding model reads: title then abstract (truncated to 256 tokens later)."""
        if self.abstract:
            return f"{self.title}. {self.abstract}" if self.title else self.abstract
        return self.title

    def embedding_hash(self, model_id: str) -> str:
        """Names a vector: the same text through the same model gives the same vector."""
        return hashlib.sha256(f"{model_id}\n{self.embedding_text()}".encode()).hexdigest()

    def content_hash(self) -> str:
        if not self._hash:
            parts = [
                str(DOCUMENT_FORMAT),
                self.key,
                self.title,
                self.abstract,
                str(len(self.authors)),
                *self.authors,
                str(len(self.organizations)),
                *self.organizations,
                str(len(self.categories)),
                *self.categories,
                self.published.isoformat() if self.published else "",
                "code" if self.has_code else "",
            ]
            # NUL-separated with list lengths: unambiguous for text without NUL (ingestion strips
            # control characters). json.dumps here was half the lexical indexing time.
            payload = "\x00".join(parts)
            self._hash.append(hashlib.sha256(payload.encode("utf-8")).hexdigest())
        return self._hash[0]


def category_terms(categories: Iterable[str]) -> list[str]:
    """Lowercased categories, each followed by its archive (``cs.CL`` -> ``cs.cl``, ``cs``)."""
    terms: list[str] = []
    for category in categories:
        value = category.strip().lower()
        if not value:
            continue
        terms.append(value)
        archive = value.split(".", 1)[0]
        if archive != value:
            terms.append(archive)
    return list(dict.fromkeys(terms))


# A filter term beside the category terms (no arXiv category has a colon): "has code" is a
# filter of the indexes themselves on both backends, so it holds over every match.
HAS_CODE_TERM = "has:code"


def filter_terms(doc: SearchDocument) -> list[str]:
    """The exact-match terms a document is filtered by: its category terms and flag terms."""
    return [*category_terms(doc.categories), *([HAS_CODE_TERM] if doc.has_code else [])]
