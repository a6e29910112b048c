"""Indexing state: which content of each paper the search indexes hold.

A row is written only after both indexes (keyword and vector) committed the paper, in the same
batch transaction for the whole batch. A crash between the index commit and this write leaves the
index ahead of the rows, never behind them; the next ``index_papers``/``rebuild`` re-indexes those
papers (an upsert, so doing it twice is harmless) and the two agree again.

``generation`` names the on-disk index the row describes (``DATA_DIR/search/state.json``). A wiped
or rebuilt index gets a new generation, which makes every older row stale at once without touching
it; the stored embedding stays reusable, so a rebuild does not re-run the model for unchanged text.
"""

from __future__ import annotations

from django.db import models

from dailypapers.papers.models import Paper


class IndexedPaper(models.Model):
    paper = models.OneToOneField(
        Paper, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    generation = models.CharField(
        max_length=32, db_index=True, help_text="Index generation holding this content."
    )
    content_hash = models.CharField(
        max_length=64, help_text="SearchDocument.content_hash() as indexed."
    )
    embedding_hash = models.CharField(
        max_length=64, help_text="Hash of the embedded text and model."
    )
    embedding = models.BinaryField(help_text="384 float32 values, little-endian, unit length.")
    indexed_at = models.DateTimeField()

    class Meta:
        verbose_name = "indexed paper"

    def __str__(self) -> str:
        return f"paper {self.paper_id} @ {self.generation}"
