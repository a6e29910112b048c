"""arXiv's OAI-PMH interface: ``ListRecords`` / ``GetRecord`` responses and a resumable harvester.

Two metadata formats are read:

* ``arXiv`` (the default, and the better one): id, created/updated dates, authors split into
  keyname/forenames/suffix, space-separated category codes (primary first), comments,
  journal-ref, DOI, licence, abstract. It has no version number.
* ``oai_dc`` (Dublin Core): title, ``Last, First`` creators, abstract, ``Comment:`` description,
  first/last ``dc:date`` as published/updated, ``doi:`` identifiers, rights. Its subjects are
  human-readable names ("Computer Science - Computation and Language") without the primary
  marker, so an ``oai_dc`` record carries *no* categories rather than guessed ones.

Deleted records (``<header status="deleted">``) are skipped and reported, never imported: arXiv
keeps withdrawn papers as new versions (which ``looks_withdrawn`` catches), so an OAI deletion
says nothing trustworthy about a paper we hold, and a record with no metadata must not create one.

``OaiHarvester`` follows ``resumptionToken``s. Each page's records are merged and the token for
the next page is saved *in one transaction*, in a ``HarvestState`` row keyed by base URL, prefix
and set: an interrupted run loses nothing and a rerun continues with the stored token, so every
record is imported exactly once. A finished harvest records the upstream day it began in
``last_completed``; the next run asks ``from=`` that day (inclusive, so the overlap is re-read,
which the idempotent merge makes harmless). ``noRecordsMatch`` is an empty, finished harvest;
any other OAI error (``badResumptionToken``, ``badArgument``, ...) stops with a clear message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

from django.conf import settings
from django.db import transaction

from dailypapers.ingest.http import PoliteClient, UpstreamError
from dailypapers.ingest.pipeline import Importer, ImportStats
from dailypapers.ingest.records import (
    AuthorRecord,
    PaperRecord,
    Skipped,
    arxiv_record,
    clean_abstract,
    clean_text,
    parse_arxiv_id,
)
from dailypapers.ingest.sources import saved
from dailypapers.ingest.sources.arxiv_xml import UnreadableXml, parse_when, parse_xml
from dailypapers.ingest.sources.arxiv_xml import element_text as _text
from dailypapers.papers.models import HarvestState

log = logging.getLogger(__name__)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
METADATA_PREFIXES = ("arXiv", "oai_dc")
IDENTIFIER_PREFIX = "oai:arXiv.org:"
MAX_FILE_BYTES = 256 * 1024 * 1024
FILE_ENDINGS = (".xml",)


class OaiError(UpstreamError):
    """An OAI-PMH ``<error code=...>`` other than ``noRecordsMatch``, or an unreadable response."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(f"OAI-PMH error {code}: {message}" if code else message)


class HarvestConflict(ValueError):
    """A harvest is half-way and the caller asked for a different one."""


@dataclass
class OaiPage:
    response_date: dt.date | None
    items: list[PaperRecord | Skipped] = field(default_factory=list)
    resumption_token: str = ""
    complete_list_size: int | None = None
    headers: int = 0


def _id_from_identifier(identifier: str) -> str:
    """``oai:arXiv.org:hep-th/9901001`` -> ``hep-th/9901001``."""
    text = identifier.strip()
    return text[len(IDENTIFIER_PREFIX) :] if text.startswith(IDENTIFIER_PREFIX) else text


def record_from_arxiv_format(meta: Element, origin: str) -> PaperRecord:
    """``<arXiv xmlns="http://arxiv.org/OAI/arXiv/">`` -> ``PaperRecord``."""
    arxiv_id, version = parse_arxiv_id(_text(meta.find(f"{ARXIV}id")))
    authors = []
    for author in meta.iterfind(f"{ARXIV}authors/{ARXIV}author"):
        parts = (_text(author.find(f"{ARXIV}{tag}")) for tag in ("forenames", "keyname", "suffix"))
        name = clean_text(" ".join(parts))
        if name:
            authors.append(AuthorRecord(name=name))
    return arxiv_record(
        "oai",
        arxiv_id,
        version,
        title=_text(meta.find(f"{ARXIV}title")),
        abstract=_text(meta.find(f"{ARXIV}abstract")),
        authors=authors,
        categories=list(dict.fromkeys(_text(meta.find(f"{ARXIV}categories")).split())),
        published_at=parse_when(_text(meta.find(f"{ARXIV}created"))),
        updated_at=parse_when(_text(meta.find(f"{ARXIV}updated"))),
        comment=_text(meta.find(f"{ARXIV}comments")),
        journal_ref=_text(meta.find(f"{ARXIV}journal-ref")),
        doi=_text(meta.find(f"{ARXIV}doi")),
        license=_text(meta.find(f"{ARXIV}license")),
        origin=origin,
    )


def _dc_name(creator: str) -> str:
    """Dublin Core writes ``Last, First`` (``Smith, John, Jr.``); the byline shows ``First Last``."""
    parts = [clean_text(p) for p in creator.split(",")]
    if len(parts) == 1 or not all(parts):
        return clean_text(creator)
    last, first, *suffix = parts
    return clean_text(" ".join([first, last, *suffix]))


def record_from_oai_dc(meta: Element, identifier: str, origin: str) -> PaperRecord:
    """``<oai_dc:dc>`` -> ``PaperRecord`` (no categories: see the module docstring)."""
    arxiv_id, version = parse_arxiv_id(_id_from_identifier(identifier))
    authors = [
        AuthorRecord(name=name)
        for name in (_dc_name(_text(c)) for c in meta.findall(f"{DC}creator"))
        if name
    ]
    abstract, comment = "", ""
    for description in meta.findall(f"{DC}description"):
        text = _text(description).strip()
        if text.startswith("Comment:"):
            comment = clean_text(text.removeprefix("Comment:"))
        elif not abstract:
            abstract = clean_abstract(text)
    dates = [d for d in (parse_when(_text(e)) for e in meta.findall(f"{DC}date")) if d]
    doi = ""
    for element in meta.findall(f"{DC}identifier"):
        value = _text(element).strip()
        if value.lower().startswith("doi:"):
            doi = value[4:]
            break
    return arxiv_record(
        "oai",
        arxiv_id,
        version,
        title=_text(meta.find(f"{DC}title")),
        abstract=abstract,
        authors=authors,
        published_at=dates[0] if dates else None,
        updated_at=dates[-1] if len(dates) > 1 else None,
        comment=comment,
        doi=doi,
        license=_text(meta.find(f"{DC}rights")),
        origin=origin,
    )


def _record_item(record: Element, origin: str) -> PaperRecord | Skipped:
    header = record.find(f"{OAI}header")
    identifier = _text(header.find(f"{OAI}identifier")).strip() if header is not None else ""
    where = f"{origin}#{identifier or 'record'}"
    if header is not None and header.get("status") == "deleted":
        return Skipped(where, "deleted upstream (OAI status=deleted); not imported")
    metadata = record.find(f"{OAI}metadata")
    if metadata is None or len(metadata) == 0:
        return Skipped(where, "record without metadata")
    meta = metadata[0]
    try:
        if meta.tag == f"{ARXIV}arXiv":
            return record_from_arxiv_format(meta, where)
        if meta.tag == f"{OAI_DC}dc":
            return record_from_oai_dc(meta, identifier, where)
    except ValueError as exc:
        return Skipped(where, str(exc))
    return Skipped(where, f"unsupported metadata format <{meta.tag}>")


def parse_response(body: bytes | str, origin: str) -> OaiPage:
    """One OAI-PMH response. ``noRecordsMatch`` is an empty page; other errors raise ``OaiError``."""
    try:
        root = parse_xml(body)
    except UnreadableXml as exc:
        raise OaiError("", f"{origin}: not a readable OAI-PMH response ({exc})") from None
    if root.tag != f"{OAI}OAI-PMH":
        raise OaiError("", f"{origin}: expected <OAI-PMH>, got <{root.tag}>")
    response_date = parse_when(_text(root.find(f"{OAI}responseDate")))
    page = OaiPage(response_date=response_date.date() if response_date else None)
    for error in root.findall(f"{OAI}error"):
        code = error.get("code", "")
        if code != "noRecordsMatch":
            raise OaiError(code, clean_text(error.text) or "(no message)")
    if root.find(f"{OAI}error") is not None:
        return page
    container = root.find(f"{OAI}ListRecords")
    if container is None:
        container = root.find(f"{OAI}GetRecord")
    if container is None:
        raise OaiError("", f"{origin}: neither ListRecords nor GetRecord in the response")
    for record in container.findall(f"{OAI}record"):
        page.headers += 1
        page.items.append(_record_item(record, origin))
    token = container.find(f"{OAI}resumptionToken")
    if token is not None:
        page.resumption_token = _text(token).strip()
        size = token.get("completeListSize")
        page.complete_list_size = int(size) if size and size.isdigit() else None
    return page


def records_from_file(path: Path) -> Iterator[PaperRecord | Skipped]:
    """A saved ``ListRecords`` or ``GetRecord`` response."""
    return saved.records_from_whole_file(
        path, MAX_FILE_BYTES, lambda _, body: parse_response(body, str(path)).items, OaiError
    )


@dataclass
class HarvestResult:
    stats: ImportStats
    pages: int = 0
    resumed: bool = False
    finished: bool = False
    error: str | None = None
    state: HarvestState | None = None


class OaiHarvester:
    """Harvests one (base URL, metadata prefix, set) politely and resumably."""

    def __init__(
        self,
        base_url: str | None = None,
        metadata_prefix: str = "arXiv",
        set_spec: str | None = None,
        client: PoliteClient | None = None,
    ):
        if metadata_prefix not in METADATA_PREFIXES:
            raise ValueError(f"metadata prefix must be one of {', '.join(METADATA_PREFIXES)}")
        self.base_url = base_url or settings.ARXIV_OAI_URL
        self.metadata_prefix = metadata_prefix
        self.set_spec = set_spec or ""
        self.client = client or PoliteClient()

    @property
    def key(self) -> str:
        return f"{self.base_url}|{self.metadata_prefix}|{self.set_spec}"

    def state(self) -> HarvestState:
        state, _ = HarvestState.objects.get_or_create(key=self.key)
        return state

    def _fetch(self, params: dict[str, str]) -> tuple[OaiPage, str]:
        url = f"{self.base_url}?{urlencode(params)}"
        response = self.client.get(self.base_url, params=params)
        if response.status_code != 200:
            # OAI reports protocol errors in XML (with 200); a 4xx body may still explain itself.
            try:
                parse_response(response.content, url)
            except OaiError as exc:
                if exc.code:
                    raise
            raise OaiError("", f"{url}: HTTP {response.status_code}: {response.text[:200]}")
        return parse_response(response.content, url), url

    def get_record(self, arxiv_id: str) -> list[PaperRecord | Skipped]:
        """``GetRecord`` for one paper (``idDoesNotExist`` raises ``OaiError``)."""
        base_id, _ = parse_arxiv_id(arxiv_id)
        params = {
            "verb": "GetRecord",
            "identifier": f"{IDENTIFIER_PREFIX}{base_id}",
            "metadataPrefix": self.metadata_prefix,
        }
        page, _ = self._fetch(params)
        return page.items

    def harvest(
        self,
        *,
        from_date: dt.date | None = None,
        until: dt.date | None = None,
        restart: bool = False,
        max_pages: int | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> HarvestResult:
        """Run (or continue) the harvest. Never raises for upstream trouble: the error is in
        the result, and everything imported before it stays imported, with the token saved."""
        state = self.state()
        result = HarvestResult(stats=ImportStats(), state=state)
        importer = Importer(on_progress=on_progress)
        result.stats = importer.stats

        if state.resumption_token and not restart:
            if (from_date and from_date != state.from_date) or until:
                raise HarvestConflict(
                    f"a harvest from {state.from_date or 'the beginning'} is half-way "
                    f"({state.pages_done} pages); rerun without --from/--until to resume it, "
                    "or with --restart to start over"
                )
            result.resumed = True
            params = {"verb": "ListRecords", "resumptionToken": state.resumption_token}
        else:
            if restart and from_date is None:
                from_date = state.from_date if state.resumption_token else state.last_completed
            elif from_date is None:
                from_date = state.last_completed
            state.resumption_token = ""
            state.from_date = from_date
            state.harvest_started = None
            state.pages_done = 0
            state.records_seen = 0
            state.save()
            params = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
            if from_date:
                params["from"] = from_date.isoformat()
            if until:
                params["until"] = until.isoformat()
            if self.set_spec:
                params["set"] = self.set_spec

        while True:
            try:
                page, url = self._fetch(params)
            except OaiError as exc:
                result.error = str(exc)
                if exc.code == "badResumptionToken":
                    result.error += (
                        "; resumption tokens expire: rerun with --restart to harvest again "
                        f"from {state.from_date or 'the beginning'}"
                    )
                return result
            except UpstreamError as exc:
                result.error = (
                    f"{exc}; {state.pages_done} pages are stored, rerun to resume"
                    if state.resumption_token
                    else str(exc)
                )
                return result
            with transaction.atomic():
                importer.run(page.items)
                if state.harvest_started is None:
                    state.harvest_started = page.response_date or dt.datetime.now(dt.UTC).date()
                state.pages_done += 1
                state.records_seen += page.headers
                state.resumption_token = page.resumption_token
                if not page.resumption_token:
                    state.last_completed = until or state.harvest_started
                    state.harvest_started = None
                state.save()
            result.pages += 1
            log.info("%s: page %d, %d records", url, state.pages_done, page.headers)
            if not page.resumption_token:
                result.finished = True
                return result
            if max_pages is not None and result.pages >= max_pages:
                return result
            params = {"verb": "ListRecords", "resumptionToken": page.resumption_token}
