"""``TantivyKeywordIndex``: BM25 with English stemming over title and abstract as one text.

What scores is defined in ``scoring.py`` (shared with the PostgreSQL index): the query's terms
(weighted by how often the query uses them) and phrases over ``body`` (title and abstract as one
text, like a plain BM25 over the paper). Scoring the title as a field of its own, boosted, helped
SciFact a little and cost hf_topics_dev 0.03 nDCG@10; the ``title`` field is kept for display.

A tantivy index in a folder (beside SQLite: ``DATA_DIR/search/keyword``). Queries are built from a
``ParsedQuery`` with tantivy's query constructors, never with its query-string parser, which raises
on syntax it does not like; user text only ever reaches an analyzer.

Fields: title and abstract go through the ``dp_en`` analyzer (``analyzers.english_analyzer``:
lowercase, ASCII folding, English stop words, Snowball stemming); author and organization names
through ``dp_name`` (no stemming, so ``author:hinton`` does not match "Hint"). A name is one value of a multi-valued field, so the phrase
``author:"Yann LeCun"`` cannot match across two authors. Categories are stored lowercased, with
their archive (``cs``) too, so ``cat:cs`` selects a whole archive (``documents.filter_terms``).
Titles and snippets are marked by ``highlight.Highlighter``, shared with the PostgreSQL backend.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import tantivy
from tantivy import Document, FieldType, Occur, Query

from dailypapers.search.analyzers import english_analyzer, name_analyzer
from dailypapers.search.documents import HAS_CODE_TERM, SearchDocument, filter_terms
from dailypapers.search.highlight import Highlighter
from dailypapers.search.interfaces import (
    Highlight,
    IndexContents,
    KeywordHits,
    SearchFilters,
    SortOrder,
)
from dailypapers.search.scoring import analyzed, scored_terms
from dailypapers.search.syntax import ParsedQuery

KEYWORD_FORMAT = 1
WRITER_HEAP_BYTES = 128_000_000
# Far past any real date; used so that an undated paper sorts last in "newest" and first in "oldest".
UNDATED = 0


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("doc_id", stored=True, indexed=True, fast=True)
    builder.add_text_field("key", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="dp_en")
    # title + newline + abstract; stored so snippets need no database (the abstract is cut out of it).
    builder.add_text_field("body", stored=True, tokenizer_name="dp_en")
    builder.add_text_field("authors", stored=True, tokenizer_name="dp_name")
    builder.add_text_field("orgs", stored=False, tokenizer_name="dp_name")
    builder.add_text_field("cats", stored=False, tokenizer_name="raw")
    builder.add_integer_field("published", stored=False, indexed=True, fast=True)
    builder.add_text_field("content_hash", stored=True, tokenizer_name="raw")
    return builder.build()


class TantivyKeywordIndex:
    def __init__(
        self,
        path: Path | None,
        *,
        writer_threads: int = 0,
    ) -> None:
        """``path=None`` keeps the index in memory (only for throwaway corpora)."""
        self.path = path
        self.writer_threads = writer_threads
        self.schema = build_schema()
        if path is None:
            self._index = tantivy.Index(self.schema)
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self._en = english_analyzer()
        self._names = name_analyzer()
        self._index.register_tokenizer("dp_en", english_analyzer())
        self._index.register_tokenizer("dp_name", name_analyzer())
        # Reloads are explicit (see _searcher) so a commit by another process is seen at once.
        self._index.config_reader(reload_policy="manual")
        self._writer: tantivy.IndexWriter | None = None
        self._meta_stamp = self._stamp()
        self._highlighter = Highlighter()

    @classmethod
    def destroy(cls, path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def _stamp(self) -> int | None:
        if self.path is None:
            return None
        try:
            return (self.path / "meta.json").stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _searcher(self) -> tantivy.Searcher:
        """A searcher on the latest commit: one stat() of meta.json tells whether it moved."""
        stamp = self._stamp()
        if stamp != self._meta_stamp:
            self._index.reload()
            self._meta_stamp = stamp
        return self._index.searcher()

    # -- writing ------------------------------------------------------------------------------

    def _get_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(
                heap_size=WRITER_HEAP_BYTES, num_threads=self.writer_threads
            )
        return self._writer

    def _document(self, doc: SearchDocument) -> Document:
        document = Document(
            doc_id=doc.doc_id,
            key=doc.key,
            title=doc.title,
            body=f"{doc.title}\n{doc.abstract}",
            published=int(doc.published.timestamp()) if doc.published else UNDATED,
            content_hash=doc.content_hash(),
        )
        for name in doc.authors:
            document.add_text("authors", name)
        for name in doc.organizations:
            document.add_text("orgs", name)
        for term in filter_terms(doc):
            document.add_text("cats", term)
        return document

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        writer = self._get_writer()
        for doc in documents:
            # A delete applies to documents added before it in the same commit, so delete-then-add
            # replaces the old version and keeps the new one.
            writer.delete_documents_by_term("doc_id", doc.doc_id)
            writer.add_document(self._document(doc))

    def delete(self, doc_ids: Iterable[int]) -> None:
        writer = self._get_writer()
        for doc_id in doc_ids:
            writer.delete_documents_by_term("doc_id", int(doc_id))

    def commit(self) -> None:
        if self._writer is None:
            return
        self._writer.commit()
        self._writer.wait_merging_threads()
        # Dropping the writer releases tantivy's lock, so another process may index next.
        self._writer = None
        self._index.reload()
        self._meta_stamp = self._stamp()

    def rollback(self) -> None:
        if self._writer is not None:
            self._writer.rollback()
            self._writer = None

    # -- queries ------------------------------------------------------------------------------

    def _field_match(self, field: str, tokens: list[tuple[int, str]]) -> Query | None:
        """One token: a term query; several: a phrase (positions kept across removed stop words)."""
        if not tokens:
            return None
        if len(tokens) == 1:
            return Query.term_query(self.schema, field, tokens[0][1])
        first = tokens[0][0]
        return Query.phrase_query(self.schema, field, [(pos - first, text) for pos, text in tokens])

    def _scored(self, query: ParsedQuery) -> Query | None:
        """What ranks a match: a disjunction of the ``scored_terms`` of the query (see there)."""
        clauses: list[Query] = []
        for term in scored_terms(query, self._en):
            if len(term.tokens) == 1:
                clause = Query.term_query(self.schema, "body", term.tokens[0][1])
            else:
                clause = Query.phrase_query(self.schema, "body", list(term.tokens))
            clauses.append(clause if term.weight == 1 else Query.boost_query(clause, term.weight))
        if not clauses:
            return None
        return Query.boolean_query([(Occur.Should, clause) for clause in clauses])

    def _constraints(self, query: ParsedQuery, filters: SearchFilters) -> list[Query] | None:
        """Clauses every result must meet; ``None`` when a constraint can never match."""
        must: list[Query] = []
        for phrase in query.required_phrases:
            tokens = analyzed(self._en, phrase)
            if not tokens:
                continue  # a phrase of stop words only constrains nothing
            in_order = self._field_match("body", tokens)
            if in_order is not None:
                must.append(in_order)
        for values, field in ((query.authors, "authors"), (query.organizations, "orgs")):
            for value in values:
                match = self._field_match(field, analyzed(self._names, value))
                if match is None:
                    return None
                must.append(match)
        for category in query.categories:
            must.append(Query.term_query(self.schema, "cats", category.strip().lower()))
        if filters.categories:
            terms = [c.strip().lower() for c in filters.categories if c.strip()]
            if terms:
                must.append(Query.term_set_query(self.schema, "cats", terms))
        if filters.has_code:
            must.append(Query.term_query(self.schema, "cats", HAS_CODE_TERM))
        if filters.published_from or filters.published_to:
            must.append(
                Query.range_query(
                    self.schema,
                    "published",
                    FieldType.Integer,
                    int(filters.published_from.timestamp()) if filters.published_from else 1,
                    int(filters.published_to.timestamp()) if filters.published_to else 2**62,
                )
            )
        return must

    def _combined(self, query: ParsedQuery, filters: SearchFilters) -> Query | None:
        must = self._constraints(query, filters)
        if must is None:
            return None
        # At least one word must match (the scored clauses are a disjunction), every constraint
        # must hold. Words beside a filter are thus not optional: "cat:cs.CL transformer" lists
        # cs.CL papers that mention transformers, not all of cs.CL.
        scored = self._scored(query)
        required = must + ([scored] if scored is not None else [])
        if not required:
            return None
        return Query.boolean_query([(Occur.Must, clause) for clause in required])

    def search(
        self,
        query: ParsedQuery,
        filters: SearchFilters,
        *,
        limit: int,
        offset: int = 0,
        sort: SortOrder = "relevance",
        among: Collection[int] | None = None,
    ) -> KeywordHits:
        if among is not None and not among:
            return KeywordHits([], 0)
        if query.is_empty and not filters.is_empty:
            combined: Query | None = Query.all_query()
            must = self._constraints(query, filters) or []
            if must:
                combined = Query.boolean_query([(Occur.Must, clause) for clause in must])
        else:
            combined = self._combined(query, filters)
        if combined is None or limit <= 0:
            return KeywordHits([], 0)
        if among is not None:
            # Scored 0: a plain term-set clause would add 1.0 to every score (and round it).
            only = Query.const_score_query(
                Query.term_set_query(self.schema, "doc_id", [int(i) for i in among]), 0.0
            )
            combined = Query.boolean_query([(Occur.Must, combined), (Occur.Must, only)])
        searcher = self._searcher()
        if sort == "relevance":
            result = searcher.search(combined, limit=limit, offset=offset, count=True)
        else:
            order = tantivy.Order.Desc if sort == "newest" else tantivy.Order.Asc
            result = searcher.search(
                combined,
                limit=limit,
                offset=offset,
                count=True,
                order_by_field="published",
                order=order,
            )
        addresses = [address for _, address in result.hits]
        doc_ids = searcher.fast_field_values("doc_id", addresses) if addresses else []
        hits = [
            (int(doc_id or 0), float(score))
            for (score, _), doc_id in zip(result.hits, doc_ids, strict=True)
        ]
        # SearchResult.count exists at run time (count=True) but not in tantivy's type stubs.
        return KeywordHits(hits, int(getattr(result, "count", 0) or 0))

    def satisfying(
        self, doc_ids: Sequence[int], query: ParsedQuery, filters: SearchFilters
    ) -> set[int]:
        if not doc_ids:
            return set()
        must = self._constraints(query, filters)
        if must is None:
            return set()
        if not must:
            return set(doc_ids)
        restrict = Query.term_set_query(self.schema, "doc_id", [int(i) for i in doc_ids])
        combined = Query.boolean_query([(Occur.Must, q) for q in [restrict, *must]])
        searcher = self._searcher()
        result = searcher.search(combined, limit=len(doc_ids), count=False)
        addresses = [address for _, address in result.hits]
        return (
            {int(v or 0) for v in searcher.fast_field_values("doc_id", addresses)}
            if addresses
            else set()
        )

    def stored(self, doc_ids: Sequence[int]) -> dict[int, dict]:
        """Stored fields (key, title, body, authors) of the given documents."""
        if not doc_ids:
            return {}
        searcher = self._searcher()
        restrict = Query.term_set_query(self.schema, "doc_id", [int(i) for i in doc_ids])
        result = searcher.search(restrict, limit=len(doc_ids), count=False)
        out = {}
        for _, address in result.hits:
            fields = searcher.doc(address).to_dict()
            out[int(fields["doc_id"][0])] = fields
        return out

    def texts(self, doc_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(title, abstract) of the given documents, from the index's stored fields."""
        return {
            doc_id: (fields["title"][0], fields["body"][0][len(fields["title"][0]) + 1 :])
            for doc_id, fields in self.stored(doc_ids).items()
        }

    def highlight(
        self,
        doc_ids: Sequence[int],
        query: ParsedQuery,
        texts: dict[int, tuple[str, str]] | None = None,
    ) -> dict[int, Highlight]:
        """Marked title and snippet; ``texts`` (title, abstract) spares reading stored fields."""
        return self._highlighter.highlight(
            doc_ids, query, texts if texts is not None else self.texts(doc_ids)
        )

    def contents(self) -> IndexContents:
        searcher = self._searcher()
        total = searcher.num_docs
        contents = IndexContents()
        if not total:
            return contents
        result = searcher.search(Query.all_query(), limit=total, count=False)
        for _, address in result.hits:
            document = searcher.doc(address)
            contents.hashes[int(document.get_first("doc_id") or 0)] = (
                document.get_first("content_hash") or ""
            )
        return contents

    def __len__(self) -> int:
        return int(self._searcher().num_docs)
