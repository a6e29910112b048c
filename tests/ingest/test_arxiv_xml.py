"""The text cleaner both arXiv XML formats share: double-encoded UTF-8 ("WÃ¼bben") is repaired in
the API feed and in OAI-PMH alike, and real text, accents and all, is never changed.

The decision rests on the real data: the recorded API answers carry mojibake the repair undoes,
and no title, abstract or name of the real Kaggle, listing or Hugging Face data is touched.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re

from dailypapers.ingest.sources.arxiv_atom import parse_feed
from dailypapers.ingest.sources.arxiv_xml import repair_mojibake
from dailypapers.ingest.sources.oai_pmh import parse_response

SINGLE_RECORD = "arxiv/oai_pmh/hepcrawl_arxiv-single_metadataPrefix-arXiv.xml"
RECORDED_API = "arxiv/atom_api/recorded_2026_new_format"


def double_encoded(text: str) -> str:
    """What a UTF-8 text looks like once read as Latin-1, the way the recordings carry it."""
    return text.encode("utf-8").decode("latin-1")


def test_oai_record_with_a_double_encoded_name_is_repaired_like_the_api_feed(shared_data):
    body = (shared_data / SINGLE_RECORD).read_text(encoding="utf-8")
    edited = body.replace(
        "<keyname>Sergyeyev</keyname>", f"<keyname>{double_encoded('Sergéyev')}</keyname>"
    )
    assert edited != body

    (record,) = parse_response(edited.encode("utf-8"), "t").items

    assert [a.name for a in record.authors] == ["A. Sergéyev"]


def test_every_double_encoded_text_of_the_recorded_api_answers_is_repaired(shared_data):
    mojibake = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]")
    checked = 0
    for path in sorted((shared_data / RECORDED_API).glob("*.json")):
        exchange = json.loads(path.read_text(encoding="utf-8"))
        if exchange["status_code"] != 200:
            continue
        for record in parse_feed(exchange["body"], path.name).items:
            texts = [record.title, record.abstract, *(a.name for a in record.authors or [])]
            assert not [t for t in texts if t and mojibake.search(t)], record.arxiv_id
            checked += 1
    assert checked > 100


def test_real_text_with_accents_is_never_changed(shared_data):
    texts = []
    kaggle = shared_data / "arxiv/kaggle_snapshot_format/unarxive_2022_sample_metadata.jsonl"
    for line in kaggle.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        texts += [item["title"], item["abstract"], item["authors"]]
    listings = shared_data / "scale/arxiv_cs_daily_listings_2025-03_2026-07_dedup.jsonl.gz"
    with gzip.open(listings, "rt", encoding="utf-8") as lines:
        for line in itertools.islice(lines, 3_000):
            item = json.loads(line)
            texts += [item["title"], item["summary"], *item["authors"]]
    accented = [t for t in texts if any(ord(c) > 127 for c in t)]
    assert len(accented) > 100

    assert [t for t in texts if repair_mojibake(t) != t] == []
