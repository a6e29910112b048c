"""``/papers/submit``: the form that puts a paper on today's feed (``services.submissions``).

GET shows the form and never changes anything; POST (CSRF-checked by the middleware, rate limited
as ``submit``) submits. Signed-out visitors are sent to log in and come back here. A success
redirects to the paper's page with a message; a refusal shows the form again with the reason
beside the field at fault (a duplicate links to the paper already on the feed) and the refusal's
HTTP status.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dailypapers.community.forms import SubmitPaperForm
from dailypapers.community.services.submissions import (
    AlreadyOnFeed,
    DailyCapReached,
    SubmissionRefused,
    submit_paper,
)
from dailypapers.ratelimit import rate_limited


def _page(request: HttpRequest, form: SubmitPaperForm, status: int = 200, **extra) -> HttpResponse:
    context = {
        "form": form,
        "window_days": settings.SUBMISSION_WINDOW_DAYS,
        "daily_cap": settings.SUBMISSIONS_PER_DAY,
        **extra,
    }
    return render(request, "community/submit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("submit")
def submit(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, SubmitPaperForm())
    form = SubmitPaperForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = submit_paper(
                cast(User, request.user).pk,
                data["arxiv"],
                organization=data["organization"],
                github_repo=data["github_repo"],
                project_page=data["project_page"],
            )
        except SubmissionRefused as refusal:
            form.add_error(refusal.field, refusal.message)
            existing = refusal.paper if isinstance(refusal, AlreadyOnFeed) else None
            response = _page(request, form, refusal.status, existing_paper=existing)
            if isinstance(refusal, DailyCapReached):
                response["Retry-After"] = str(refusal.retry_after)
            return response
        messages.success(request, "Thank you: the paper is on today's feed.")
        return redirect(result.paper.get_absolute_url())
    return _page(request, form, 400)
