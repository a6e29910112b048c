"""Search: BM25 keyword search, MiniLM embeddings and their fusion, behind one ``search()`` service.

Layout: ``interfaces.py`` (the ``KeywordIndex``/``VectorIndex`` roles), one module per backend
(``tantivy_index.py``, ``hnsw_index.py``), ``embedder.py``, ``fusion.py``, ``syntax.py`` (the query
language), ``engine.py`` (one search path over plain documents), ``backend.py`` (files or
PostgreSQL tables), ``indexing.py`` (indexing papers, crash-safe state) and ``queries.py`` (``search()``, ``similar_papers()`` for pages, API, digests).
"""
