"""Forms of the digest pages: the address to subscribe, and the preferences."""

from __future__ import annotations

from django import forms

from dailypapers.accounts.forms import BoundedEmailInput
from dailypapers.digests.services import subscriptions
from dailypapers.digests.services.subscriptions import (
    MAX_INTERESTS_CHARS,
    MAX_NAMES,
    TIME_ZONES,
    InvalidAddress,
)

HOURS = [(h, f"{h:02d}:00") for h in range(24)]
# The form shows common zones first; any IANA name is accepted.
ZONE_CHOICES = [(name, name) for name in sorted(TIME_ZONES) if "/" in name or name == "UTC"]


class SubscribeForm(forms.Form):
    email = forms.CharField(
        label="Email",
        max_length=254,
        # A rejected 1 MB value is not echoed back whole.
        widget=BoundedEmailInput(attrs={"autocomplete": "email", "maxlength": 254}),
    )

    def clean_email(self) -> str:
        try:
            return subscriptions.normalize_address(self.cleaned_data["email"])
        except InvalidAddress as error:
            raise forms.ValidationError(str(error)) from None


def _lines(value: str) -> list[str]:
    try:
        return subscriptions.clean_names(value)
    except ValueError as error:
        raise forms.ValidationError(f"Enter {error}, one per line.") from None


class PreferencesForm(forms.Form):
    frequency = forms.ChoiceField(
        label="How often",
        choices=[("daily", "Daily"), ("weekly", "Weekly (Mondays)")],
        widget=forms.RadioSelect,
    )
    hour = forms.TypedChoiceField(label="At", choices=HOURS, coerce=int)
    time_zone = forms.ChoiceField(label="Time zone", choices=ZONE_CHOICES)
    interests = forms.CharField(
        label="Interests",
        required=False,
        max_length=MAX_INTERESTS_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_INTERESTS_CHARS}),
        help_text="Keywords or a sentence, searched like the search box. Separate interests "
        "with commas: diffusion distillation, robot grasping, “retrieval augmented generation”.",
    )
    authors = forms.CharField(
        label="Authors you follow",
        required=False,
        max_length=MAX_NAMES * 210,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"One name per line, as written on papers (at most {MAX_NAMES}).",
    )
    organizations = forms.CharField(
        label="Organizations you follow",
        required=False,
        max_length=MAX_NAMES * 210,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: a handle (meta-llama) or a full name.",
    )
    categories = forms.CharField(
        label="arXiv categories",
        required=False,
        max_length=MAX_NAMES * 42,
        help_text="Separated by spaces or commas: cs.CL cs.LG stat (a whole archive).",
    )
    like_upvoted = forms.BooleanField(label="Papers like the ones I upvoted", required=False)

    def __init__(self, *args, with_account: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not with_account:
            del self.fields["like_upvoted"]

    def clean_interests(self) -> str:
        try:
            return subscriptions.clean_interests(self.cleaned_data["interests"])
        except ValueError as error:
            raise forms.ValidationError(f"Use {error}.") from None

    def clean_authors(self) -> list[str]:
        return _lines(self.cleaned_data["authors"])

    def clean_organizations(self) -> list[str]:
        return _lines(self.cleaned_data["organizations"])

    def clean_categories(self) -> list[str]:
        try:
            return subscriptions.clean_categories(self.cleaned_data["categories"])
        except ValueError as error:
            raise forms.ValidationError(f"{error}.") from None
