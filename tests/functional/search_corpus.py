"""A small catalogue for the search tests, imported and indexed once per test module.

Twenty-two papers on a few topics (diffusion, language models, reinforcement learning, vision),
with authors, organizations, categories, arXiv dates, feed days, upvotes and GitHub repositories
chosen so that each filter and sort has something to keep and something to drop, plus one paper
whose every text field is an attack. They go in through the real import pipeline, in committed
transactions, with huey in immediate mode: the ``papers_changed`` receiver indexes them, as in
production. Embedding is the slow part (~40 papers/s on two cores), hence once per module; the
tests of a module only read.

Use::

    corpus = pytest.fixture(scope="module")(indexed_corpus)   # in the test module
    @pytest.fixture(autouse=True)
    def _search_dir(corpus, settings): settings.DATA_DIR = corpus.data_dir
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.test import override_settings

from dailypapers.ingest.pipeline import import_records
from dailypapers.ingest.records import AuthorRecord, DailyRecord, OrganizationRecord, PaperRecord
from dailypapers.papers.models import Author, Organization, Paper
from dailypapers.search import backend, indexing

UTC = dt.UTC
MAR_14, MAR_13, FEB_03 = dt.date(2025, 3, 14), dt.date(2025, 3, 13), dt.date(2025, 2, 3)
HOSTILE_ID = "2503.06666"
SCRIPT = "<script>alert(1)</script>"
RLO = "\u202e"


@dataclass(frozen=True)
class Spec:
    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: dt.date
    day: dt.date | None
    upvotes: int
    org: tuple[str, str] | None = None  # (handle, full name)
    github: str = ""


SPECS = [
    Spec(
        "2503.00001",
        "Denoising Diffusion Probabilistic Models",
        "We present high quality image synthesis results using diffusion probabilistic models, a "
        "class of latent variable models inspired by considerations from nonequilibrium "
        "thermodynamics.",
        ("Jonathan Ho", "Ajay Jain", "Pieter Abbeel"),
        ("cs.LG", "stat.ML"),
        dt.date(2025, 3, 10),
        MAR_14,
        40,
        ("berkeley", "UC Berkeley"),
        "https://github.com/hojonathanho/diffusion",
    ),
    Spec(
        "2503.00002",
        "High-Resolution Image Synthesis with Latent Diffusion Models",
        "By decomposing the image formation process into a sequential application of denoising "
        "autoencoders, diffusion models achieve state-of-the-art synthesis results on image data. "
        "We apply them in the latent space of powerful pretrained autoencoders.",
        ("Robin Rombach", "Andreas Blattmann", "Björn Ommer"),
        ("cs.CV",),
        dt.date(2025, 3, 11),
        MAR_14,
        120,
        ("compvis", "CompVis LMU Munich"),
        "https://github.com/CompVis/latent-diffusion",
    ),
    Spec(
        "2503.00003",
        "Video Diffusion Models for Long Video Generation",
        "We extend image diffusion models to video, generating long and temporally coherent "
        "videos with a space-time factorized architecture.",
        ("Tim Brooks", "Jonathan Ho"),
        ("cs.CV",),
        dt.date(2025, 3, 12),
        MAR_14,
        15,
    ),
    Spec(
        "2503.00004",
        "Classifier-Free Diffusion Guidance",
        "Classifier guidance trades off diversity for fidelity in conditional diffusion models; "
        "we show that the same effect is obtained without a classifier.",
        ("Jonathan Ho", "Tim Salimans"),
        ("cs.LG",),
        dt.date(2025, 3, 5),
        MAR_13,
        33,
        ("google", "Google Research"),
    ),
    Spec(
        "2503.00005",
        "Consistency Models for One-Step Image Generation",
        "Consistency models map noise directly to data, allowing fast one-step generation while "
        "still supporting multistep sampling that trades compute for sample quality.",
        ("Yang Song", "Prafulla Dhariwal"),
        ("cs.LG", "cs.CV"),
        dt.date(2025, 3, 9),
        MAR_13,
        60,
        ("openai", "OpenAI"),
    ),
    Spec(
        "2503.00006",
        "Chain of Thought Prompting Elicits Reasoning in Large Language Models",
        "We explore how generating a chain of thought, a series of intermediate reasoning steps, "
        "significantly improves the ability of large language models to perform complex reasoning.",
        ("Jason Wei", "Xuezhi Wang", "Denny Zhou"),
        ("cs.CL",),
        dt.date(2025, 3, 12),
        MAR_14,
        90,
        ("google", "Google Research"),
    ),
    Spec(
        "2503.00007",
        "Self-Consistency Improves Chain of Thought Reasoning in Language Models",
        "We propose self-consistency, a decoding strategy that samples diverse reasoning paths and "
        "selects the most consistent answer, replacing greedy decoding in chain of thought "
        "prompting.",
        ("Xuezhi Wang", "Jason Wei", "Denny Zhou"),
        ("cs.CL",),
        dt.date(2025, 3, 8),
        MAR_13,
        25,
        ("google", "Google Research"),
    ),
    Spec(
        "2503.00008",
        "Thought Chains in Recurrent Networks: Why the Order of Words Matters",
        "A chain of recurrent cells carries each thought to the next word; we study how word order "
        "changes what recurrent networks remember.",
        ("Ada Kovalenko",),
        ("cs.CL",),
        dt.date(2025, 3, 1),
        FEB_03,
        3,
    ),
    Spec(
        "2503.00009",
        "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks",
        "Large pre-trained language models store factual knowledge in their parameters; we combine "
        "them with a dense retriever over Wikipedia to generate answers grounded in passages.",
        ("Patrick Lewis", "Ethan Perez"),
        ("cs.CL",),
        dt.date(2025, 3, 11),
        MAR_14,
        50,
        ("meta", "Meta AI"),
        "https://github.com/facebookresearch/rag",
    ),
    Spec(
        "2503.00010",
        "Dense Passage Retrieval for Open-Domain Question Answering",
        "Open-domain question answering relies on efficient passage retrieval; we show that "
        "retrieval can be implemented with dense representations alone.",
        ("Vladimir Karpukhin", "Patrick Lewis"),
        ("cs.CL", "cs.IR"),
        dt.date(2025, 3, 6),
        MAR_13,
        20,
        ("meta", "Meta AI"),
    ),
    Spec(
        "2503.00011",
        "Scaling Laws for Neural Language Models",
        "We study empirical scaling laws for language model performance on the cross-entropy loss: "
        "the loss scales as a power law with model size, dataset size and compute.",
        ("Jared Kaplan", "Sam McCandlish"),
        ("cs.LG",),
        dt.date(2025, 3, 3),
        FEB_03,
        70,
        ("openai", "OpenAI"),
    ),
    Spec(
        "2503.00012",
        "Playing Atari with Deep Reinforcement Learning",
        "We present the first deep learning model to successfully learn control policies directly "
        "from high-dimensional sensory input using reinforcement learning on Atari games.",
        ("Volodymyr Mnih", "David Silver"),
        ("cs.LG",),
        dt.date(2025, 3, 7),
        MAR_14,
        45,
        ("deepmind", "Google DeepMind"),
    ),
    Spec(
        "2503.00013",
        "Mastering the Game of Go without Human Knowledge",
        "A program learns to play Go from self-play alone, starting from random play, without "
        "human data, guidance or domain knowledge beyond the rules of the game.",
        ("David Silver", "Julian Schrittwieser"),
        ("cs.AI",),
        dt.date(2025, 3, 4),
        MAR_13,
        80,
        ("deepmind", "Google DeepMind"),
    ),
    Spec(
        "2503.00014",
        "Learning Dexterous In-Hand Manipulation",
        "We use reinforcement learning to learn dexterous in-hand manipulation policies for a "
        "physical five-fingered robot hand that rotates objects to a target orientation.",
        ("Marcin Andrychowicz", "Bowen Baker"),
        ("cs.RO",),
        dt.date(2025, 3, 2),
        FEB_03,
        12,
        ("openai", "OpenAI"),
        "https://github.com/openai/dexterous-gym",
    ),
    Spec(
        "2503.00015",
        "Diffusion Policy: Visuomotor Policy Learning via Action Diffusion",
        "We represent a robot's visuomotor policy as a conditional denoising diffusion process "
        "over actions, which handles multimodal action distributions gracefully.",
        ("Cheng Chi", "Shuran Song"),
        ("cs.RO",),
        dt.date(2025, 3, 12),
        MAR_14,
        35,
        ("columbia", "Columbia University"),
        "https://github.com/real-stanford/diffusion_policy",
    ),
    Spec(
        "2503.00016",
        "Deep Residual Learning for Image Recognition",
        "Deeper neural networks are more difficult to train; a residual learning framework eases "
        "the training of networks substantially deeper than those used previously.",
        ("Kaiming He", "Jian Sun"),
        ("cs.CV",),
        dt.date(2025, 3, 2),
        None,  # on arXiv, never in the daily feed
        100,
        ("msr", "Microsoft Research"),
    ),
    Spec(
        "2503.00017",
        "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
        "A pure transformer applied directly to sequences of image patches performs very well on "
        "image classification when pre-trained on large amounts of data.",
        ("Alexey Dosovitskiy", "Lucas Beyer"),
        ("cs.CV",),
        dt.date(2025, 3, 10),
        MAR_14,
        65,
        ("google", "Google Research"),
        "https://github.com/google-research/vision_transformer",
    ),
    Spec(
        "2503.00018",
        "Segment Anything",
        "We introduce a promptable segmentation model and the largest segmentation dataset to "
        "date, with over one billion masks on licensed and privacy respecting images.",
        ("Alexander Kirillov", "Ross Girshick"),
        ("cs.CV",),
        dt.date(2025, 3, 11),
        MAR_13,
        88,
        ("meta", "Meta AI"),
        "https://github.com/facebookresearch/segment-anything",
    ),
    Spec(
        "2503.00019",
        "Attention Is All You Need",
        "We propose a new simple network architecture, the Transformer, based solely on attention "
        "mechanisms, dispensing with recurrence and convolutions entirely.",
        ("Ashish Vaswani", "Noam Shazeer"),
        ("cs.CL", "cs.LG"),
        dt.date(2025, 3, 12),
        MAR_14,
        150,
        ("google", "Google Research"),
        "https://github.com/tensorflow/tensor2tensor",
    ),
    Spec(
        "2503.00020",
        "Naïve Bayes for Café Reviews",
        "Sentiment analysis of restaurant reviews with a naive Bayes classifier and smoothing.",
        ("Zoë Müller",),
        ("cs.IR",),
        dt.date(2025, 3, 1),
        None,
        1,
    ),
    Spec(
        "2503.00021",
        "Graph Neural Networks: A Review of Methods and Applications",
        "Graph neural networks capture the dependence of graphs via message passing between "
        "the nodes of graphs; we review their variants and applications.",
        ("Jie Zhou", "Ganqu Cui"),
        ("cs.LG",),
        dt.date(2025, 3, 3),
        FEB_03,
        10,
    ),
    Spec(
        HOSTILE_ID,
        f'{SCRIPT} Graph Attention Networks & <b>friends</b> " onmouseover="x',
        f"<img src=x onerror=alert(1)> graph attention over neighbourhoods {RLO}reversed "
        "&amp; <mark>not ours</mark> with masked self-attention layers on graph nodes.",
        (SCRIPT, f"Evil{RLO}Name"),
        ("cs.LG",),
        dt.date(2025, 3, 12),
        MAR_14,
        2,
    ),
]


def record_of(spec: Spec) -> PaperRecord:
    return PaperRecord(
        source="hf",
        arxiv_id=spec.arxiv_id,
        title=spec.title,
        abstract=spec.abstract,
        authors=[AuthorRecord(name) for name in spec.authors],
        categories=list(spec.categories),
        published_at=dt.datetime.combine(spec.published, dt.time(17, 0), UTC),
        upvotes=spec.upvotes,
        organization=OrganizationRecord(name=spec.org[0], fullname=spec.org[1])
        if spec.org
        else None,
        github_repo=spec.github or None,
        daily=DailyRecord(date=spec.day, submitter_name="alice") if spec.day else None,
        origin="search-corpus",
    )


@dataclass
class Corpus:
    data_dir: Path
    ids: dict[str, int]  # arXiv id -> primary key

    def paper(self, arxiv_id: str) -> Paper:
        return Paper.objects.get(arxiv_id=arxiv_id)


def indexed_corpus(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Corpus]:
    """Imports and indexes SPECS (committed), yields them, then deletes every row it made."""
    from huey.contrib.djhuey import HUEY

    data_dir = tmp_path_factory.mktemp("search-data")
    with django_db_blocker.unblock(), override_settings(DATA_DIR=data_dir):
        previous = HUEY.immediate
        HUEY.immediate = True
        try:
            stats = import_records([record_of(spec) for spec in SPECS])
        finally:
            HUEY.immediate = previous
        assert stats.created == len(SPECS), stats
        ids = dict(Paper.objects.values_list("arxiv_id", "pk"))
        status = indexing.index_status()
        assert status.consistent and status.indexed == len(SPECS), status
    try:
        yield Corpus(data_dir, ids)
    finally:
        with django_db_blocker.unblock(), override_settings(DATA_DIR=data_dir):
            Paper.objects.filter(pk__in=ids.values()).delete()
            Author.objects.filter(papers__isnull=True).delete()
            Organization.objects.filter(papers__isnull=True).delete()
            # Their documents go too: on PostgreSQL the index is tables every test shares.
            indexing.index_papers(ids.values())
        backend._indexes.pop(data_dir / "search", None)
