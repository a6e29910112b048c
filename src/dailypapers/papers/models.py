"""The paper catalogue: papers keyed by arXiv id, their authors, organizations and daily-feed entries.

Imported counts (upvotes, comments) are snapshots from upstream and are kept apart from anything
counted locally, so a re-import never overwrites local activity. A paper a moderator hid
(``hidden``) stays in the table, so a re-import cannot bring it back as a new row; every read in
``papers.queries`` leaves it out.
"""

from __future__ import annotations

import re

from django.db import models
from django.urls import reverse

# New style: 0704.0001 .. 2606.26740 (4 or 5 digits after the dot), optional version.
NEW_STYLE_ID = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<version>\d+))?$")
# Old style: hep-th/9901001, math.GT/0309136, optional version.
OLD_STYLE_ID = re.compile(r"^(?P<id>[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?$")
ARXIV_ID_PATTERN = r"(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})"


class Organization(models.Model):
    """An organization page (a lab, a company, a university), as Hugging Face names them."""

    name = models.CharField(max_length=200, unique=True, help_text="Short handle, used in URLs.")
    fullname = models.CharField(max_length=300, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    hf_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.fullname or self.name

    def get_absolute_url(self) -> str:
        return reverse("orgs.detail", args=[self.name])

    @property
    def display_name(self) -> str:
        return self.fullname or self.name


class Author(models.Model):
    """A person as named on papers. Names are whitespace-normalized; one row per distinct name."""

    name = models.CharField(max_length=300, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("authors.detail", args=[self.name])


class Paper(models.Model):
    arxiv_id = models.CharField(max_length=64, unique=True, help_text="arXiv id without version.")
    version = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Latest known version."
    )
    title = models.TextField()
    abstract = models.TextField(blank=True)
    categories = models.JSONField(
        default=list, blank=True, help_text="arXiv categories, primary first."
    )
    primary_category = models.CharField(max_length=40, blank=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, help_text="arXiv v1 date.")
    updated_at = models.DateTimeField(
        null=True, blank=True, help_text="arXiv date of the latest version."
    )
    comment = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField(max_length=300, blank=True)
    license = models.CharField(max_length=300, blank=True)
    withdrawn = models.BooleanField(default=False)

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers"
    )
    github_repo = models.URLField(max_length=500, blank=True)
    github_stars = models.PositiveIntegerField(null=True, blank=True)
    project_page = models.URLField(max_length=500, blank=True)
    thumbnail_url = models.URLField(max_length=500, blank=True)

    imported_upvotes = models.PositiveIntegerField(default=0, help_text="Upstream snapshot.")
    local_upvotes = models.PositiveIntegerField(default=0, help_text="Votes cast on this site.")
    upvotes = models.PositiveIntegerField(
        default=0, db_index=True, help_text="imported_upvotes + local_upvotes, kept for ranking."
    )
    imported_comments = models.PositiveIntegerField(default=0)
    local_comments = models.PositiveIntegerField(
        default=0, help_text="Comments shown on this site (not deleted, not hidden)."
    )
    discussion_id = models.CharField(max_length=64, blank=True)
    ai_summary = models.TextField(blank=True)
    ai_keywords = models.JSONField(default=list, blank=True)

    sources = models.JSONField(default=list, blank=True, help_text="Which upstreams contributed.")
    authors = models.ManyToManyField(Author, through="PaperAuthor", related_name="papers")
    hidden = models.BooleanField(
        default=False,
        db_index=True,
        help_text="Hidden by a moderator: left out of every feed, page, search and API answer.",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The paper this duplicate was merged into; its page redirects there.",
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "arxiv_id"]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title[:80]}"

    def get_absolute_url(self) -> str:
        return reverse("papers.detail", args=[self.arxiv_id])

    @property
    def arxiv_abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def arxiv_pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def github_name(self) -> str:
        """``owner/repo`` of the GitHub URL, for display."""
        match = re.match(r"https?://(?:www\.)?github\.com/([^/]+/[^/#?]+)", self.github_repo or "")
        return match.group(1).removesuffix(".git") if match else self.github_repo

    @property
    def comment_count(self) -> int:
        """Comments on Hugging Face (imported) plus those shown here (kept by community.services)."""
        return self.imported_comments + self.local_comments


class PaperAuthor(models.Model):
    """An author's place on a paper; ``position`` keeps the byline order."""

    # No separate index on paper: unique(paper, position) already serves lookups by paper, and
    # one index fewer on the biggest table makes bulk imports measurably faster.
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="authorships", db_index=False
    )
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveSmallIntegerField()
    hf_id = models.CharField(max_length=64, blank=True)
    hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="unique_author_position")
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.paper.arxiv_id}"


class DailyEntry(models.Model):
    """A paper's place in the daily feed: the day it entered the list, who submitted it."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="daily")
    date = models.DateField(db_index=True, help_text="The day the paper entered the daily list.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitter_name = models.CharField(max_length=150, blank=True, db_index=True)
    submitter_fullname = models.CharField(max_length=300, blank=True)
    submitter_avatar_url = models.URLField(max_length=500, blank=True)
    media_urls = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name_plural = "daily entries"

    def __str__(self) -> str:
        return f"{self.date}: {self.paper.arxiv_id}"


class HarvestState(models.Model):
    """Where a resumable harvest (OAI-PMH) stands, so a rerun continues where it stopped."""

    key = models.CharField(max_length=300, unique=True)
    resumption_token = models.TextField(blank=True)
    from_date = models.DateField(null=True, blank=True)
    last_completed = models.DateField(null=True, blank=True, help_text="Last date fully harvested.")
    harvest_started = models.DateField(
        null=True,
        blank=True,
        help_text="Upstream date when the harvest in progress began; becomes last_completed when it ends.",
    )
    pages_done = models.PositiveIntegerField(default=0)
    records_seen = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key
