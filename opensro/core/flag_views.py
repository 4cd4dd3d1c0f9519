"""The review queue: open flags in the user's scope, one flag's evidence, its decision."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from opensro.core import flags
from opensro.core.models import Flag, FlagStatus
from opensro.core.permissions import VIEW, can, restrict


@login_required
def flag_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, Flag):
        raise PermissionDenied("Your role does not include reviewing flags.")
    qs = restrict(Flag.objects.all(), request.user, VIEW).select_related(
        "agency", "district", "school", "officer")
    status = request.GET.get("status", FlagStatus.OPEN)
    if status in FlagStatus.values:
        qs = qs.filter(status=status)
    kind = request.GET.get("kind", "")
    if kind:
        qs = qs.filter(kind=kind)
    return render(request, "core/flags/list.html", {
        "flags": qs[:200], "kinds": flags.kinds(), "kind": kind, "status": status,
        "statuses": FlagStatus.choices,
    })


@login_required
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(restrict(Flag.objects.all(), request.user, VIEW), pk=pk)
    return render(request, "core/flags/detail.html", {
        "flag": flag, "kind_label": flags.kind_label(flag.kind),
        "subject_url": flags.subject_url(flag),
    })
