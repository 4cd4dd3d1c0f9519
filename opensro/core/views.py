"""Core pages: the audit log (auditors, system administrators) and personal API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from opensro.core import tokens
from opensro.core.choices import Role
from opensro.core.models import ApiToken, AuditEvent, AuditHead, Disclosure
from opensro.core.permissions import has_role


def _record_types() -> list[str]:
    """The distinct record types in the audit trail, read from the index on
    ``(object_type, object_id, seq)`` one type at a time (a "loose index scan"): a
    few dozen index lookups instead of reading every event, which a state-sized
    trail (millions of events, docs/performance.md) would make slow."""
    types: list[str] = []
    events = AuditEvent.objects.order_by("object_type").values_list("object_type", flat=True)
    found = events.first()
    while found is not None:
        types.append(found)
        found = events.filter(object_type__gt=found).first()
    return types


class _TrailPaginator(Paginator):
    """The unfiltered trail's size is the chain head's sequence number (one event per
    number, which ``opensro audit verify`` checks), so no page counts every event."""

    def __init__(self, events: object, per_page: int, total: int) -> None:
        super().__init__(events, per_page)  # type: ignore[arg-type]
        self._total = total

    @property
    def count(self) -> int:
        return self._total


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit trail and the disclosure log; auditors and system administrators only."""
    if not has_role(request.user, Role.AUDITOR, Role.SYSTEM_ADMIN):
        raise PermissionDenied
    view = request.GET.get("view", "events")
    if view == "disclosures":
        disclosures = Paginator(Disclosure.objects.all(), 50).get_page(request.GET.get("page"))
        return render(request, "core/disclosures.html", {"page": disclosures})
    events = AuditEvent.objects.order_by("-seq")
    object_type = request.GET.get("object_type", "").strip()
    object_id = request.GET.get("object_id", "").strip()
    actor = request.GET.get("actor", "").strip()
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if actor:
        events = events.filter(actor_label=actor)
    if object_type or object_id or actor:
        paginator = Paginator(events, 50)
    else:
        head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first()
        paginator = _TrailPaginator(events, 50, head or 0)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {
        "page": page, "object_type": object_type, "object_id": object_id, "actor": actor,
        "types": _record_types(),
    })


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. 'CAD export'.")
    days = forms.IntegerField(min_value=1, max_value=366, initial=90,
                              label="Valid for (days)")


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _token, new_key = tokens.create_token(
            request.user, form.cleaned_data["name"], days=form.cleaned_data["days"]  # type: ignore[arg-type]
        )
        form = TokenForm()
    return render(request, "core/tokens.html", {
        "form": form, "new_key": new_key,
        "tokens": ApiToken.objects.filter(user__pk=request.user.pk or 0),  # own tokens only
    })


@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("tokens")
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke_token(request.user, token)  # type: ignore[arg-type]
    messages.success(request, f"Revoked token {token}.")
    return redirect("tokens")
