"""Selection pages: selections with their committee and candidates, a candidate's
eligibility, ratings and decision, and the probationary period with the school
administrator's review (GP 5; R-B1…R-B4). Reads through ``restrict``; writes through
``services``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone

from opensro.core.choices import Role
from opensro.core.crud import Resource, detail_view, list_view
from opensro.core.models import RoleGrant, User
from opensro.core.permissions import ADD, CHANGE, VIEW, can, can_on, restrict
from opensro.directory.models import Agency, Officer, School
from opensro.selection import forms, services
from opensro.selection.choices import QUALITIES, Decision
from opensro.selection.models import (
    Candidate,
    CommitteeMember,
    Probation,
    Rating,
    SelectionProcess,
)


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


PROCESSES = Resource(
    SelectionProcess, "selections", "SRO selections", forms.ProcessForm,
    services.create_process, services.update_process,
    columns=[("title", "Selection"), ("agency", "Agency"), ("school", "School"),
             ("opened_on", "Opened"), ("closed_on", "Closed")],
    search=["title"], select_related=["agency", "school"],
    help_text="Each selection fills an SRO post: a committee with a school representative "
              "and the supervisor who will work with the SRO interviews volunteers who meet "
              "the eligibility rules, rates them on ten qualities and decides (GP 5).",
)
MEMBERS = Resource(
    CommitteeMember, "selection-members", "Selection committee members", forms.MemberForm,
    services.create_member, services.update_member,
    columns=[("name", "Member"), ("role", "Role"), ("process", "Selection"),
             ("works_with_sro", "Will work with the SRO")],
    search=["name"], filters=["role"], select_related=["process"],
    detail_fields=[("process", "Selection"), ("name", "Name"), ("role", "Role"),
                   ("organization", "Organization"),
                   ("works_with_sro", "Will work directly with the SRO")],
    help_text="Who sits on each selection committee (R-B2).",
)
CANDIDATES = Resource(
    Candidate, "selection-candidates", "Candidates", forms.CandidateForm,
    services.create_candidate, services.update_candidate,
    columns=[("last_name", "Last name"), ("first_name", "First name"),
             ("process", "Selection"), ("decision", "Decision")],
    search=["last_name", "first_name"], filters=["decision"], select_related=["process"],
    help_text="Officers considered for SRO posts (personnel records).",
)
RATINGS = Resource(
    Rating, "selection-ratings", "Committee ratings", forms.RatingForm,
    services.create_rating, services.update_rating,
    columns=[("candidate", "Candidate"), ("member", "Committee member"),
             ("average", "Average (1–5)")],
    select_related=["candidate", "member"],
    detail_fields=[("candidate", "Candidate"), ("member", "Committee member"),
                   *[(q, label) for q, label in QUALITIES], ("average", "Average"),
                   ("comments", "Comments")],
    help_text="Each member's ratings of each candidate on the ten qualities (R-B3).",
)
PROBATIONS = Resource(
    Probation, "selection-probations", "Probationary periods", forms.ProbationForm,
    services.create_probation, services.update_probation,
    columns=[("candidate", "SRO"), ("start_date", "Starts"), ("end_date", "Ends"),
             ("outcome", "Outcome"), ("reviewed_on", "School review")],
    select_related=["candidate"],
    detail_fields=[("candidate", "SRO"), ("start_date", "Starts"), ("end_date", "Ends"),
                   ("school_admin_name", "School administrator"),
                   ("reviewed_on", "School administrator's review date"),
                   ("school_admin_comments", "School administrator's review"),
                   ("outcome", "Outcome"), ("outcome_reason", "Reason for the outcome")],
    help_text="A selected SRO's probationary period; the school administrator takes part "
              "in its review (R-B4).",
)


# --------------------------------------------------------------------------- form fields


def _rater_users(user: Any) -> QuerySet[User]:
    """Accounts a member may be linked to: administrators of the schools and the
    supervisors and administrators of the agencies in the user's selections."""
    processes = restrict(SelectionProcess.objects.all(), user, CHANGE)
    grants = RoleGrant.objects.filter(
        Q(role=Role.SCHOOL_ADMIN, school__in=processes.values("school"))
        | Q(role__in=[Role.SUPERVISOR, Role.AGENCY_ADMIN], agency__in=processes.values("agency")))
    return User.objects.filter(pk__in=grants.values("user_id"), is_active=True)


def _scope(form: djforms.ModelForm[Any], user: Any) -> None:
    """Limit each choice to what the user may use."""
    fields = form.fields
    own_only = not can(user, ADD, CommitteeMember)  # a school administrator
    choices: dict[str, QuerySet[Any]] = {
        "agency": restrict(Agency.objects.all(), user, VIEW),
        "school": restrict(School.objects.all(), user, VIEW),
        "process": restrict(SelectionProcess.objects.all(), user, CHANGE),
        "officer": restrict(Officer.objects.all(), user, VIEW),
        "user": _rater_users(user),
    }
    if isinstance(form, forms.RatingForm):
        choices["candidate"] = restrict(Candidate.objects.all(), user, VIEW)
        members = restrict(CommitteeMember.objects.select_related("process"), user, VIEW)
        choices["member"] = members.filter(user=user) if own_only else members
    if isinstance(form, forms.ProbationForm):
        choices["candidate"] = restrict(Candidate.objects.filter(
            decision=Decision.SELECTED), user, CHANGE)
    for name, qs in choices.items():
        field = fields.get(name)
        if isinstance(field, djforms.ModelChoiceField) and not field.disabled:
            field.queryset = qs
            if field.required and not form.initial.get(name) and qs.count() == 1:
                form.initial[name] = qs.get().pk  # the only choice: preselect it


def _form_view(resource: Resource, editing: bool, parent: str = "",
               form_for: Callable[[Any, Any], type[Any]] | None = None
               ) -> Callable[..., HttpResponse]:
    """Create or edit through the service; ``parent`` is a field whose value may come
    from the query string (``?process=3``) and is fixed when editing."""

    @login_required
    def view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = None
        if editing:
            obj = resource.queryset(request.user).filter(pk=pk).first()
            if obj is None:
                raise Http404(f"No {resource.verbose_name} {pk} in your scope.")
            if not can_on(request.user, CHANGE, obj):
                raise PermissionDenied
        elif not can(request.user, ADD, resource.model):
            raise PermissionDenied
        form_class = form_for(request.user, obj) if form_for else resource.form
        initial = {}
        if parent and request.GET.get(parent, "").isdigit():
            initial[parent] = int(request.GET[parent])
        form = form_class(request.POST or None, instance=obj, initial=initial)
        if editing and parent in form.fields:
            form.fields[parent].disabled = True
        _scope(form, request.user)
        if request.method == "POST" and form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items()
                    if not (editing and k == parent)}
            try:
                saved = (resource.update(_actor(request), obj, data) if obj is not None
                         else resource.create(_actor(request), data))
            except ValidationError as exc:
                _errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or "You may not make that change.")
            else:
                messages.success(request, f"Saved {resource.verbose_name} “{saved}”.")
                return redirect(_after_save(saved))
        intro = ""
        if isinstance(form, forms.ReviewForm):
            intro = ("As the school administrator, record when you reviewed the SRO's "
                     "probation and what you found (R-B4). The agency records the outcome.")
        return render(request, "selection/form.html", {
            "form": form, "resource": resource, "obj": obj, "editing": editing,
            "intro": intro,
        }, status=400 if request.method == "POST" else 200)

    return view


def _errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _after_save(obj: Any) -> str:
    if isinstance(obj, SelectionProcess):
        return reverse("selections-detail", args=[obj.pk])
    if isinstance(obj, CommitteeMember):
        return reverse("selections-detail", args=[obj.process_id])
    if isinstance(obj, Candidate):
        return reverse("selection-candidates-detail", args=[obj.pk])
    if isinstance(obj, Rating | Probation):
        return reverse("selection-candidates-detail", args=[obj.candidate_id])
    raise AssertionError(obj)


def _probation_form(user: Any, obj: Any) -> type[Any]:
    if obj is not None and not can_on(user, ADD, obj):
        return forms.ReviewForm  # the school administrator's part (R-B4)
    return forms.ProbationForm


# --------------------------------------------------------------------------- pages


@login_required
def process_detail(request: HttpRequest, pk: int) -> HttpResponse:
    process = PROCESSES.queryset(request.user).filter(pk=pk).first()
    if process is None:
        raise Http404("No such selection in your scope.")
    today = timezone.localdate()
    members = restrict(process.members.select_related("user"), request.user, VIEW)
    candidates = []
    for c in restrict(process.candidates.all(), request.user, VIEW):
        checks = services.eligibility(c, c.decided_on or today)
        candidates.append({"obj": c, "eligible": all(x.passed for x in checks),
                           "failed": [x for x in checks if not x.passed],
                           "summary": services.rating_summary(c)})
    return render(request, "selection/process_detail.html", {
        "process": process, "members": members, "candidates": candidates,
        "problems": services.committee_problems(process),
        "can_change": can_on(request.user, CHANGE, process),
    })


@login_required
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = CANDIDATES.queryset(request.user).filter(pk=pk).first()
    if candidate is None:
        raise Http404("No such candidate in your scope.")
    user = request.user
    today = timezone.localdate()
    agency_side = can_on(user, CHANGE, candidate)
    ratings = restrict(candidate.ratings.select_related("member"), user, VIEW)
    probation = restrict(Probation.objects.filter(candidate=candidate), user, VIEW).first()
    summary = services.rating_summary(candidate)
    own_member = restrict(CommitteeMember.objects.filter(
        process=candidate.process_id, user=_actor(request)), user, VIEW).first()
    own_rating = ratings.filter(member=own_member).first() if own_member else None
    decide_form = forms.DecisionForm(initial={"decided_on": today}) if can_on(
        user, "decide", candidate) else None
    return render(request, "selection/candidate_detail.html", {
        "candidate": candidate, "agency_side": agency_side,
        "checks": services.eligibility(candidate, candidate.decided_on or today),
        "problems": services.committee_problems(candidate.process),
        "ratings": ratings, "summary": summary, "own_rating": own_rating,
        "qualities": [(label, summary["per_quality"][q]) for q, label in QUALITIES],
        "probation": probation, "decide_form": decide_form,
        "can_rate": can(user, ADD, Rating) and (agency_side or own_member is not None),
        "can_start_probation": candidate.decision == Decision.SELECTED and probation is None
        and can(user, ADD, Probation) and agency_side,
        "can_change_probation": probation is not None and can_on(user, CHANGE, probation),
    })


@login_required
def candidate_decide(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = CANDIDATES.queryset(request.user).filter(pk=pk).first()
    if candidate is None:
        raise Http404("No such candidate in your scope.")
    if not can_on(request.user, "decide", candidate):
        raise PermissionDenied("Your role does not decide selections.")
    form = forms.DecisionForm(request.POST or None,
                              initial={"decided_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.decide(_actor(request), candidate, form.cleaned_data["decision"],
                            form.cleaned_data["decision_reason"],
                            form.cleaned_data["decided_on"])
        except ValidationError as exc:
            _errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Recorded the decision on {candidate}.")
            return redirect("selection-candidates-detail", pk=candidate.pk)
    return render(request, "selection/decide.html", {
        "form": form, "candidate": candidate,
        "checks": services.eligibility(candidate),
        "problems": services.committee_problems(candidate.process),
    }, status=400 if request.method == "POST" else 200)


def _resource_urls(resource: Resource, prefix: str, parent: str = "",
                   detail: Callable[..., HttpResponse] | None = None,
                   form_for: Callable[[Any, Any], type[Any]] | None = None) -> list[Any]:
    s = resource.slug
    return [
        path(f"{prefix}", list_view(resource), name=f"{s}-list"),
        path(f"{prefix}new/", _form_view(resource, False, parent, form_for), name=f"{s}-create"),
        path(f"{prefix}<int:pk>/", detail or detail_view(resource), name=f"{s}-detail"),
        path(f"{prefix}<int:pk>/edit/", _form_view(resource, True, parent, form_for),
             name=f"{s}-edit"),
    ]


def urlpatterns() -> list[Any]:
    return [
        *_resource_urls(PROCESSES, "", detail=process_detail),
        *_resource_urls(MEMBERS, "members/", "process"),
        *_resource_urls(CANDIDATES, "candidates/", "process", detail=candidate_detail),
        path("candidates/<int:pk>/decide/", candidate_decide, name="selection-decide"),
        *_resource_urls(RATINGS, "ratings/", "candidate"),
        *_resource_urls(PROBATIONS, "probations/", "candidate", form_for=_probation_form),
    ]
