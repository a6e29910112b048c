"""The paper submission form: field lengths here, every other rule in ``services.submissions``.

Each ``clean_*`` runs the service's own check so an error shows beside its field; the service
checks again, so the API (which has no form) refuses exactly the same input.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from dailypapers.community.services import submissions
from dailypapers.community.services.submissions import InvalidLink, InvalidReference


def _text(label: str, max_length: int, help_text: str, *, required: bool = False, **attrs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", **attrs}),
    )


class SubmitPaperForm(forms.Form):
    arxiv = _text(
        "arXiv id or link",
        submissions.MAX_REFERENCE_LENGTH,
        "Such as 2401.01234, hep-th/9901001 or https://arxiv.org/abs/2401.01234.",
        required=True,
        autofocus=True,
        placeholder="2401.01234",
    )
    organization = _text(
        "Organization (optional)",
        100,
        "The handle of the lab or company behind the paper, such as google.",
    )
    github_repo = _text(
        "GitHub repository (optional)",
        submissions.MAX_URL_LENGTH,
        "https://github.com/owner/repository",
        inputmode="url",
    )
    project_page = _text(
        "Project page (optional)",
        submissions.MAX_URL_LENGTH,
        "An http:// or https:// address.",
        inputmode="url",
    )

    def _clean_with(self, name: str, check: Callable[[str], str]) -> str:
        try:
            return check(self.cleaned_data.get(name, ""))
        except (InvalidReference, InvalidLink) as refusal:
            raise forms.ValidationError(refusal.message) from None

    def clean_arxiv(self) -> str:
        self._clean_with("arxiv", submissions.parse_reference)
        return self.cleaned_data["arxiv"]  # the service parses it again, from what was typed

    def clean_organization(self) -> str:
        return self._clean_with("organization", submissions.clean_organization)

    def clean_github_repo(self) -> str:
        return self._clean_with("github_repo", submissions.clean_github_repo)

    def clean_project_page(self) -> str:
        return self._clean_with("project_page", submissions.clean_project_page)
