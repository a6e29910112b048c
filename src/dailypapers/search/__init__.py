"""Search: BM25 keyword search, MiniLM embeddings and their fusion; the one place papers are ranked.

``engine.py`` ranks (``SearchEngine.search`` over every paper, ``rank_among`` over a given set,
``best_matches`` over several queries); ``queries.py`` reads papers through it for pages and the
API (``search``, ``search_among``, ``similar_papers``); ``browse.py`` is the search page's form and
the feed filter; ``indexing.py`` keeps the indexes following the database (writes); ``backend.py``
picks and opens them (files or PostgreSQL tables). Beneath: ``interfaces.py`` (the
``KeywordIndex``/``VectorIndex`` roles), one module per backend (``tantivy_index.py``,
``hnsw_index.py``, ``postgres_index.py``), ``scoring.py`` (what a query scores with, for both
keyword backends), ``embedder.py``, ``fusion.py``, ``syntax.py`` (the query language), ``documents.py`` (what an index holds), ``analyzers.py`` and ``highlight.py``.
docs/search.md draws the layout and the ranking.
"""
