"""Forms of the accounts pages.

Fields that take free text have a length limit and never echo more than a bounded prefix of what
was posted back into the page (``BoundedTextInput``): a 1 MB username gets a short error, not a
1 MB form. Usernames are ASCII letters, digits, ``-`` and ``_`` (no look-alike Unicode, no
direction overrides); display names may be any printable text and are shown isolated (``<bdi>``).
"""

from __future__ import annotations

import unicodedata

from django import forms
from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from dailypapers.accounts import queries, services

USERNAME_MAX = 39
DISPLAY_NAME_MAX = 80
PASSWORD_MAX = 1024
ECHO_MAX = 200


class BoundedTextInput(forms.TextInput):
    """A text input that re-displays at most ``ECHO_MAX`` characters of a rejected value."""

    def format_value(self, value):
        text = super().format_value(value)
        return text[:ECHO_MAX] if text else text


class BoundedEmailInput(BoundedTextInput):
    input_type = "email"


def password_input(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete})


def no_control_characters(value: str) -> None:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValidationError("Line breaks, tabs and other control characters are not allowed.")


username_validator = RegexValidator(
    r"\A[A-Za-z0-9][A-Za-z0-9_-]*\Z",
    "Use letters (a–z), digits, hyphens and underscores, starting with a letter or digit.",
)


def display_name_field() -> forms.CharField:
    return forms.CharField(
        label="Display name",
        max_length=DISPLAY_NAME_MAX,
        required=False,
        validators=[no_control_characters],
        widget=BoundedTextInput(attrs={"autocomplete": "name"}),
        help_text="Optional. Shown on your profile instead of your username.",
    )


class SignupForm(forms.Form):
    username = forms.CharField(
        min_length=2,
        max_length=USERNAME_MAX,
        validators=[username_validator],
        widget=BoundedTextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        help_text=f"2 to {USERNAME_MAX} letters, digits, - or _. Shown publicly.",
    )
    display_name = display_name_field()
    email = forms.EmailField(
        max_length=254,
        widget=BoundedEmailInput(attrs={"autocomplete": "email"}),
        help_text="We send a link to confirm it. Never shown publicly.",
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        max_length=PASSWORD_MAX,
        widget=password_input("new-password"),
        help_text="At least 8 characters, not a common password and not all digits.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        max_length=PASSWORD_MAX,
        widget=password_input("new-password"),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if services.username_taken(username):
            raise ValidationError("This username is taken.")
        return username

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            candidate = get_user_model()(
                username=data.get("username", ""), email=data.get("email", "")
            )
            try:
                password_validation.validate_password(first, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class LoginForm(AuthenticationForm):
    """Log in with a username (any case) or an email address.

    An account whose address is not confirmed yet gets its own message, but only once the right
    password was given, so the message reveals nothing to someone guessing.
    """

    username = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=BoundedTextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=PASSWORD_MAX,
        widget=password_input("current-password"),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Wrong username, email or password.",
        "unconfirmed": (
            "Confirm your email address first: open the link we emailed you. "
            "No email? Ask for a new link below."
        ),
        "suspended": "This account is suspended by the site's moderators.",
    }

    def clean(self) -> dict:
        login = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if login is None or not password:
            return self.cleaned_data
        user = queries.get_login_account(login)
        username = user.get_username() if user else login
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            if user is not None and not user.is_active and user.check_password(password):
                # Inactive with a confirmed address: a moderator suspended it (moderation).
                confirmed = getattr(getattr(user, "profile", None), "email_verified_at", None)
                code = "suspended" if confirmed else "unconfirmed"
                raise ValidationError(self.error_messages[code], code=code)
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ResendVerificationForm(forms.Form):
    email = forms.EmailField(
        max_length=254, widget=BoundedEmailInput(attrs={"autocomplete": "email"})
    )


class EmailPasswordResetForm(PasswordResetForm):
    """Django's reset form, whose ``save`` queues the reset email as a background job.

    The request does the same whatever the address (it queues one job): the worker looks for
    active accounts with a usable password and sends each a link built from ``SITE_URL``
    (``accounts.tasks.send_password_reset_email``), so neither the answer nor its timing says
    whether the address has an account.
    """

    email = forms.EmailField(
        label="Email", max_length=254, widget=BoundedEmailInput(attrs={"autocomplete": "email"})
    )

    def save(self, *args, **kwargs) -> None:  # type: ignore[override]
        # The view's arguments (token generator, templates, request) are for Django's own
        # sending; the job uses the default token generator, which the confirm view checks.
        services.request_password_reset(self.cleaned_data["email"])


class ProfileForm(forms.Form):
    display_name = display_name_field()


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        validators=[no_control_characters],
        widget=BoundedTextInput(attrs={"placeholder": "e.g. laptop script"}),
        help_text="A note to recognise the token by.",
    )
