"""The MiniLM embedder: files found offline, known behaviour of the model, vectors independent of batching."""

from __future__ import annotations

import numpy as np
import pytest

from dailypapers.search import embedder as embedder_module
from dailypapers.search.embedder import (
    DIMENSIONS,
    MAX_TOKENS,
    EmbedderUnavailable,
    get_embedder,
    model_file,
    tokenizer_file,
)


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


def test_model_and_tokenizer_ship_in_installed_packages():
    assert model_file().stat().st_size == 22_928_619
    assert tokenizer_file().name == "tokenizer.json"
    assert {"LICENSE", "NOTICE"} <= {path.name for path in tokenizer_file().parent.iterdir()}


def test_a_damaged_tokenizer_file_is_refused_with_the_remedy(tmp_path, monkeypatch):
    damaged = tmp_path / "tokenizer.json"
    damaged.write_bytes(tokenizer_file().read_bytes()[:-10])
    monkeypatch.setattr(embedder_module, "TOKENIZER_FILE", damaged)

    with pytest.raises(EmbedderUnavailable, match="sha256; reinstall dailypapers"):
        tokenizer_file()


def test_tokens_are_bert_uncased_wordpieces(embedder):
    # Ids of BERT's uncased vocabulary, which all-MiniLM-L6-v2 uses: [CLS] hello , world ! [SEP],
    # and "tokenization" split into word pieces (token ##ization).
    assert embedder.token_ids(["Hello, World!", "tokenization"]) == [
        [101, 7592, 1010, 2088, 999, 102],
        [101, 19204, 3989, 102],
    ]


def test_vectors_are_unit_length_with_384_dimensions(embedder):
    vectors = embedder.embed(["A man is eating food.", "", "graph neural networks"])

    assert vectors.shape == (3, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_sentences_score_higher_than_unrelated_ones(embedder):
    eating, bread, baby, horse = embedder.embed(
        [
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The girl is carrying a baby.",
            "A man is riding a horse.",
        ]
    )

    assert eating @ bread > 0.6
    assert eating @ bread > eating @ horse > eating @ baby
    assert eating @ baby < 0.1


def test_query_vector_equals_the_batch_vector(embedder):
    text = "Denoising diffusion probabilistic models"

    assert np.allclose(embedder.embed_query(text), embedder.embed([text])[0], atol=1e-5)


def test_a_vector_does_not_depend_on_the_texts_embedded_with_it(embedder):
    texts = [
        "short",
        "a much longer sentence about convolutional networks for image recognition",
        "mid length text",
    ]

    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])

    assert np.array_equal(together, alone)


def test_long_text_is_truncated_to_256_tokens(embedder):
    long_text = "word " * 2000

    assert len(embedder.token_ids([long_text])[0]) == MAX_TOKENS
    assert embedder.embed([long_text]).shape == (1, DIMENSIONS)
