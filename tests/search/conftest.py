"""Fixtures of the search tests: a fresh search folder per test, plain documents for the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from dailypapers.search import backend
from dailypapers.search.documents import SearchDocument
from dailypapers.search.engine import SearchEngine
from dailypapers.search.hnsw_index import HnswVectorIndex
from dailypapers.search.tantivy_index import TantivyKeywordIndex


@pytest.fixture
def search_data_dir(settings, tmp_path: Path) -> Iterator[Path]:
    """DATA_DIR (and so DATA_DIR/search) in a fresh folder for this test only."""
    settings.DATA_DIR = tmp_path
    yield tmp_path / "search"
    backend._indexes.pop(tmp_path / "search", None)


def doc(doc_id: int, title: str, abstract: str = "", **fields) -> SearchDocument:
    return SearchDocument(
        doc_id=doc_id, key=f"2501.{doc_id:05d}", title=title, abstract=abstract, **fields
    )


CORPUS = [
    doc(
        1,
        "Attention Is All You Need",
        "The dominant sequence transduction models are based on recurrent or convolutional neural networks. "
        "We propose a new simple network architecture, the Transformer, based solely on attention mechanisms.",
        authors=("Ashish Vaswani", "Noam Shazeer", "Niki Parmar"),
        organizations=("google", "Google Research"),
        categories=("cs.CL", "cs.LG"),
        published=dt.datetime(2017, 6, 12, tzinfo=dt.UTC),
    ),
    doc(
        2,
        "Denoising Diffusion Probabilistic Models",
        "We present high quality image synthesis results using diffusion probabilistic models, a class of "
        "latent variable models inspired by considerations from nonequilibrium thermodynamics.",
        authors=("Jonathan Ho", "Ajay Jain", "Pieter Abbeel"),
        organizations=("berkeley", "UC Berkeley"),
        categories=("cs.LG", "stat.ML"),
        published=dt.datetime(2020, 6, 19, tzinfo=dt.UTC),
    ),
    doc(
        3,
        "Naïve Bayes for café reviews: the state of the art",
        "Sentiment analysis of restaurant reviews with a naive Bayes classifier.",
        authors=("Zoë Müller",),
        categories=("cs.IR",),
        published=None,
    ),
    doc(
        4,
        "Deep Residual Learning for Image Recognition",
        "Deeper neural networks are more difficult to train. We present a residual learning framework to "
        "ease the training of networks that are substantially deeper than those used previously.",
        authors=("Kaiming He", "Xiangyu Zhang", "Jian Sun"),
        organizations=("msr", "Microsoft Research"),
        categories=("cs.CV",),
        published=dt.datetime(2015, 12, 10, tzinfo=dt.UTC),
    ),
    doc(
        5,
        "Playing Atari with Deep Reinforcement Learning",
        "We present the first deep learning model to successfully learn control policies directly from "
        "high-dimensional sensory input using reinforcement learning.",
        authors=("Volodymyr Mnih", "Koray Kavukcuoglu", "David Silver"),
        organizations=("deepmind", "Google DeepMind"),
        categories=("cs.LG",),
        published=dt.datetime(2013, 12, 19, tzinfo=dt.UTC),
    ),
]


@pytest.fixture
def engine(tmp_path: Path) -> SearchEngine:
    """An engine over the five papers of CORPUS, in a temporary folder."""
    search_engine = SearchEngine(
        TantivyKeywordIndex(tmp_path / "keyword"), HnswVectorIndex(tmp_path / "vectors")
    )
    search_engine.index(CORPUS)
    search_engine.commit()
    return search_engine
