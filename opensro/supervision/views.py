"""Supervision pages (R-F1…R-F3): the early-warning figures, the twice-yearly reviews,
the evaluations with the school administrators' input, and the rating instruments.
Reads go through ``selectors`` (scoped), writes through ``services`` (validated,
audited); the views only shape input and output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as djforms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from opensro.core.flag_views import flags_for
from opensro.core.permissions import ADD, CHANGE, VIEW, can, can_on, restrict
from opensro.incidents.models import Incident
from opensro.supervision import early_warning as ew
from opensro.supervision import forms, selectors, services
from opensro.supervision.choices import (
    OPEN_REVIEW_STATUSES,
    EvaluationStatus,
    Half,
    Measure,
    ReviewStatus,
)
from opensro.supervision.models import (
    EarlyWarningResult,
    Evaluation,
    EvaluationInput,
    RatingInstrument,
    Review,
)


def _apply_errors(exc: ValidationError, form: djforms.BaseForm,
                  aliases: dict[str, str] | None = None) -> None:
    """Show each service error on its field (or above the form)."""
    for key, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        name = (aliases or {}).get(key, key)
        form.add_error(name if name in form.fields else None, errors)


def _one(qs: QuerySet[Any], pk: int, what: str) -> Any:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No such {what} in your scope.")
    return obj


def _form_page(request: HttpRequest, form: djforms.BaseForm, title: str, back: str,
               intro: str = "", status: int = 200, submit: str = "Save") -> HttpResponse:
    return render(request, "supervision/form.html", {
        "form": form, "title": title, "back": back, "intro": intro, "submit": submit,
    }, status=status)


# =========================================================================== home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    cards = []
    if can(user, VIEW, EarlyWarningResult):
        cards.append({"label": "Open early-warning flags", "url": "early-warning-list",
                      "value": flags_for(user).filter(kind=services.EARLY_WARNING_FLAG,
                                                      status="open").count()})
    if can(user, VIEW, Review):
        reviews = selectors.reviews_for(user).filter(status__in=OPEN_REVIEW_STATUSES)
        cards.append({"label": "Reviews to hold", "url": "review-list",
                      "value": reviews.count()})
        cards.append({"label": "Reviews overdue", "url": "review-list",
                      "value": reviews.filter(due_date__lt=today).count()})
    if can(user, VIEW, Evaluation):
        cards.append({"label": "Evaluations in draft", "url": "evaluation-list",
                      "value": selectors.evaluations_for(user).filter(
                          status=EvaluationStatus.DRAFT).count()})
    if can(user, CHANGE, EvaluationInput):
        cards.append({"label": "Evaluation input requested from you", "url": "input-list",
                      "value": selectors.inputs_for(user, CHANGE).filter(
                          submitted_at__isnull=True,
                          evaluation__status=EvaluationStatus.DRAFT).count()})
    if can(user, VIEW, RatingInstrument):
        cards.append({"label": "Rating instruments", "url": "instrument-list",
                      "value": selectors.instruments_for(user).count()})
    if not cards:
        raise PermissionDenied("Your role has no supervision pages.")
    return render(request, "supervision/home.html", {"cards": cards})


# =========================================================================== early warning


@login_required
def early_warning_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, EarlyWarningResult):
        raise PermissionDenied("Early-warning figures are for the SRO's chain of command.")
    qs = selectors.early_warning_results(request.user)
    periods = list(qs.order_by("-period_start").values_list(
        "period_start", "school_year__code", "half").distinct())
    chosen = request.GET.get("period") or (periods[0][0].isoformat() if periods else "")
    measure = request.GET.get("measure", "")
    flagged_only = request.GET.get("flagged") == "1"
    rows = qs.filter(period_start=chosen) if chosen else qs.none()
    if measure in Measure.values:
        rows = rows.filter(measure=measure)
    if flagged_only:
        rows = rows.filter(significant=True)
    rows = rows.order_by("-significant", "officer__last_name", "officer_id", "measure")
    return render(request, "supervision/early_warning_list.html", {
        "rows": rows, "periods": [(p.isoformat(), f"{code} {Half(h).label.lower()}")
                                  for p, code, h in periods],
        "period": chosen, "measure": measure, "measures": Measure.choices,
        "flagged_only": flagged_only, "fdr": settings.OPENSRO["EARLY_WARNING_FDR"],
    })


@login_required
def early_warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    result = _one(selectors.early_warning_results(request.user), pk, "early-warning result")
    incidents = restrict(Incident.objects.filter(pk__in=result.incident_ids).select_related(
        "school", "reason"), request.user, VIEW).order_by("occurred_at")
    flag_list = flags_for(request.user).filter(kind=services.EARLY_WARNING_FLAG,
                                               subject_type=EarlyWarningResult._meta.label,
                                               subject_id=str(result.pk))
    bases = [(dict(ew.BASES)[b], result.figures.get(b) or {}) for b, _l in ew.BASES]
    return render(request, "supervision/early_warning_detail.html", {
        "result": result, "bases": bases, "incidents": incidents, "flags": flag_list,
    })


# =========================================================================== reviews


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, Review):
        raise PermissionDenied("Your role does not take part in reviews.")
    qs = selectors.reviews_for(request.user)
    status = request.GET.get("status", "open")
    if status == "open":
        qs = qs.filter(status__in=OPEN_REVIEW_STATUSES)
    elif status in ReviewStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("due_date", "officer__last_name", "school__name"),
                     50).get_page(request.GET.get("page"))
    return render(request, "supervision/review_list.html", {
        "page": page, "status": status, "statuses": ReviewStatus.choices,
        "can_add": can(request.user, ADD, Review),
    })


@login_required
def review_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ADD, Review):
        raise PermissionDenied("Your role does not plan reviews.")
    form = forms.ReviewCreateForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = services.create_review(request.user, form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, f"Planned the {review}.")
            return redirect("review-detail", pk=review.pk)
    return _form_page(request, form, "Plan a review", "review-list",
                      "A review per SRO and school each half-year (R-F3). OpenSRO plans them "
                      "for every assignment; add one here only when one is missing.",
                      status=400 if request.method == "POST" else 200)


def _review_context(request: HttpRequest, review: Review, **extra: Any) -> dict[str, Any]:
    user = request.user
    may_change = can_on(user, CHANGE, review)
    is_open = review.status in OPEN_REVIEW_STATUSES
    context: dict[str, Any] = {
        "review": review, "incidents": selectors.review_incidents(user, review),
        "follow_ups": list(review.follow_ups.all()),
        "may_change": may_change and review.status != ReviewStatus.CANCELLED,
        "may_complete": may_change and is_open,
        "may_input": can_on(user, "school_input", review)
        and review.status != ReviewStatus.CANCELLED,
        "overdue": review.overdue,
        "flags": flags_for(user).filter(subject_type=Review._meta.label,
                                        subject_id=str(review.pk)),
        "complete_form": forms.ReviewCompleteForm(initial={
            "meeting_on": review.meeting_on, "attendees": review.attendees,
            "minutes": review.minutes}),
        "follow_up_formset": forms.FollowUpFormSet(prefix="fu"),
        "follow_up_form": forms.FollowUpForm(prefix="new"),
        "input_form": forms.SchoolInputForm(initial={"school_input": review.school_input}),
        "cancel_form": forms.CancelForm(),
    }
    context.update(extra)
    return context


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _one(selectors.reviews_for(request.user), pk, "review")
    return render(request, "supervision/review_detail.html", _review_context(request, review))


@login_required
def review_edit(request: HttpRequest, pk: int) -> HttpResponse:
    review = _one(selectors.reviews_for(request.user), pk, "review")
    if not can_on(request.user, CHANGE, review):
        raise PermissionDenied("Your role does not schedule this review.")
    form = forms.ReviewScheduleForm(request.POST or None, review=review)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_review(request.user, review, form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, "Saved the review.")
            return redirect("review-detail", pk=review.pk)
    return _form_page(request, form, f"Schedule: {review}", "review-list",
                      "Set the meeting with the SRO's supervisor and the school "
                      "administrator.", status=400 if request.method == "POST" else 200)


def _post_only(view: Callable[[HttpRequest, Review], HttpResponse]
               ) -> Callable[[HttpRequest, int], HttpResponse]:
    @login_required
    def wrapped(request: HttpRequest, pk: int) -> HttpResponse:
        review = _one(selectors.reviews_for(request.user), pk, "review")
        if request.method != "POST":
            return redirect("review-detail", pk=pk)
        return view(request, review)

    wrapped.__name__ = view.__name__
    return wrapped


@_post_only
def review_complete(request: HttpRequest, review: Review) -> HttpResponse:
    if not can_on(request.user, CHANGE, review):
        raise PermissionDenied("Your role does not complete this review.")
    form = forms.ReviewCompleteForm(request.POST)
    formset = forms.FollowUpFormSet(request.POST, prefix="fu")
    if form.is_valid() and formset.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            services.complete_review(request.user, review, data,  # type: ignore[arg-type]
                                     [f.cleaned_data for f in formset.forms])
        except ValidationError as exc:
            _apply_errors(exc, form)
            for key, errs in exc.message_dict.items():
                parts = key.split(".")
                if parts[0] == "follow_ups" and len(parts) == 3:
                    formset.forms[int(parts[1])].add_error(parts[2], errs)
        else:
            messages.success(request, "Completed the review; its incidents and minutes are "
                                      "recorded.")
            return redirect("review-detail", pk=review.pk)
    return render(request, "supervision/review_detail.html", _review_context(
        request, review, complete_form=form, follow_up_formset=formset), status=400)


def _review_action(request: HttpRequest, review: Review, *, permission: str, refusal: str,
                   form: djforms.Form, context_name: str,
                   act: Callable[[dict[str, Any]], object], done: str) -> HttpResponse:
    """A form posted from the review page: check the permission, run the service, and
    go back to the review with a message, or show the page again with the form's
    errors (400)."""
    if not can_on(request.user, permission, review):
        raise PermissionDenied(refusal)
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, done)
            return redirect("review-detail", pk=review.pk)
    return render(request, "supervision/review_detail.html",
                  _review_context(request, review, **{context_name: form}), status=400)


@_post_only
def review_school_input(request: HttpRequest, review: Review) -> HttpResponse:
    return _review_action(
        request, review, permission="school_input",
        refusal="Only the school's administrator adds the school's input.",
        form=forms.SchoolInputForm(request.POST), context_name="input_form",
        act=lambda data: services.record_school_input(
            request.user, review, data["school_input"]),  # type: ignore[arg-type]
        done="Saved the school's input.")


@_post_only
def review_cancel(request: HttpRequest, review: Review) -> HttpResponse:
    return _review_action(
        request, review, permission=CHANGE, refusal="Your role does not cancel this review.",
        form=forms.CancelForm(request.POST), context_name="cancel_form",
        act=lambda data: services.cancel_review(
            request.user, review, data["cancel_reason"]),  # type: ignore[arg-type]
        done="Cancelled the review.")


@_post_only
def review_follow_up(request: HttpRequest, review: Review) -> HttpResponse:
    return _review_action(
        request, review, permission=CHANGE, refusal="Your role does not change this review.",
        form=forms.FollowUpForm(request.POST, prefix="new"), context_name="follow_up_form",
        act=lambda data: services.add_follow_up(
            request.user, review, data),  # type: ignore[arg-type]
        done="Added the follow-up item.")


@login_required
def review_follow_up_done(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    review = _one(selectors.reviews_for(request.user), pk, "review")
    if request.method != "POST":
        return redirect("review-detail", pk=pk)
    if not can_on(request.user, CHANGE, review):
        raise PermissionDenied("Your role does not change this review.")
    try:
        services.follow_up_done(request.user, review, item,  # type: ignore[arg-type]
                                timezone.localdate())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Marked the follow-up item done.")
    return redirect("review-detail", pk=pk)


# =========================================================================== evaluations


@login_required
def evaluation_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, Evaluation):
        raise PermissionDenied("Evaluations belong to the SRO's chain of command (R-F2).")
    qs = selectors.evaluations_for(request.user)
    status = request.GET.get("status", "")
    if status in EvaluationStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "supervision/evaluation_list.html", {
        "page": page, "status": status, "statuses": EvaluationStatus.choices,
        "can_add": can(request.user, ADD, Evaluation),
    })


@login_required
def evaluation_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ADD, Evaluation):
        raise PermissionDenied("Your role does not evaluate SROs.")
    form = forms.EvaluationCreateForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.create_evaluation(request.user, form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, "Started the evaluation; the SRO's schools were asked "
                                      "for their input.")
            return redirect("evaluation-detail", pk=evaluation.pk)
    return _form_page(request, form, "Start an evaluation", "evaluation-list",
                      "An SRO-specific evaluation by the SRO's supervisor (R-F1, R-F2). "
                      "Each school the SRO served in the period is asked for input.",
                      status=400 if request.method == "POST" else 200)


def _figures(evaluation: Evaluation) -> dict[str, Any]:
    return selectors.officer_period_summary(
        evaluation.officer, evaluation.period_start, evaluation.period_end,
        float(settings.OPENSRO["EARLY_WARNING_FDR"]))


def _surveys(request: HttpRequest, evaluation: Evaluation) -> list[dict[str, Any]]:
    from opensro.surveys.selectors import results_for_school

    out = []
    for school in selectors.schools_served(evaluation.officer, evaluation.period_start,
                                           evaluation.period_end):
        results = results_for_school(request.user, school, evaluation.period_start,
                                     evaluation.period_end)
        if results:
            out.append({"school": school, "results": results})
    return out


@login_required
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _one(selectors.evaluations_for(request.user), pk, "evaluation")
    draft = evaluation.status == EvaluationStatus.DRAFT
    may_change = draft and can_on(request.user, CHANGE, evaluation)
    return render(request, "supervision/evaluation_detail.html", {
        "evaluation": evaluation, "figures": _figures(evaluation),
        "ratings": evaluation.ratings.select_related("criterion").order_by(
            "criterion__sort_order", "id"),
        "inputs": selectors.inputs_for(request.user).filter(evaluation=evaluation),
        "surveys": _surveys(request, evaluation), "may_change": may_change,
        "may_request": draft and can(request.user, ADD, EvaluationInput) and may_change,
    })


@login_required
def evaluation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _one(selectors.evaluations_for(request.user), pk, "evaluation")
    if not can_on(request.user, CHANGE, evaluation):
        raise PermissionDenied("Your role does not change this evaluation.")
    form = forms.EvaluationEditForm(request.POST or None, evaluation=evaluation)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("summary", "strengths", "development_goals")}
        try:
            services.update_evaluation(request.user, evaluation, data,  # type: ignore[arg-type]
                                       form.ratings())
        except ValidationError as exc:
            for key, errs in exc.message_dict.items():
                parts = key.split(".")
                if parts[0] == "ratings" and len(parts) == 3:
                    form.add_error(f"{parts[2]}_{parts[1]}", errs)
                else:
                    form.add_error(key if key in form.fields else None, errs)
        else:
            messages.success(request, "Saved the evaluation.")
            return redirect("evaluation-detail", pk=evaluation.pk)
    return render(request, "supervision/evaluation_edit.html", {
        "evaluation": evaluation, "form": form, "figures": _figures(evaluation),
    }, status=400 if request.method == "POST" else 200)


@login_required
def evaluation_complete(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _one(selectors.evaluations_for(request.user), pk, "evaluation")
    if request.method != "POST":
        return redirect("evaluation-detail", pk=pk)
    if not can_on(request.user, CHANGE, evaluation):
        raise PermissionDenied("Your role does not complete this evaluation.")
    try:
        services.complete_evaluation(request.user, evaluation)  # type: ignore[arg-type]
    except ValidationError as exc:
        for errs in exc.message_dict.values():
            for err in errs:
                messages.error(request, err)
        return redirect("evaluation-edit", pk=pk)
    messages.success(request, "Completed the evaluation.")
    return redirect("evaluation-detail", pk=pk)


@login_required
def evaluation_input_create(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _one(selectors.evaluations_for(request.user), pk, "evaluation")
    if not (can(request.user, ADD, EvaluationInput)
            and can_on(request.user, CHANGE, evaluation)):
        raise PermissionDenied("Your role does not request school input.")
    form = forms.InputRequestForm(request.user, evaluation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_input(request.user, evaluation,  # type: ignore[arg-type]
                                   form.cleaned_data["school"])
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, "Asked the school for its input.")
            return redirect("evaluation-detail", pk=evaluation.pk)
    return _form_page(request, form, f"Ask a school for input: {evaluation}",
                      "evaluation-list", status=400 if request.method == "POST" else 200)


@login_required
def input_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, EvaluationInput):
        raise PermissionDenied("Your role does not give evaluation input.")
    qs = selectors.inputs_for(request.user).order_by("submitted_at", "-evaluation__period_end")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "supervision/input_list.html", {"page": page})


@login_required
def input_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _one(selectors.inputs_for(request.user), pk, "school input")
    return render(request, "supervision/input_detail.html", {
        "item": item, "may_change": can_on(request.user, CHANGE, item)
        and item.evaluation.status == EvaluationStatus.DRAFT,
    })


@login_required
def input_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _one(selectors.inputs_for(request.user), pk, "school input")
    if not can_on(request.user, CHANGE, item):
        raise PermissionDenied("Only the school's administrator writes the school's input.")
    form = forms.InputForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_input(request.user, item, form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, "Sent the school's input to the SRO's supervisor.")
            return redirect("input-detail", pk=item.pk)
    return _form_page(
        request, form, f"Input on {item.evaluation.officer} from {item.school}", "input-list",
        "Your input is a separate section of the SRO's evaluation: the SRO's supervisor "
        "evaluates and rates; you do not see the ratings (R-F2).",
        status=400 if request.method == "POST" else 200, submit="Send the input")


# =========================================================================== instruments


@login_required
def instrument_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, RatingInstrument):
        raise PermissionDenied("Your role does not use rating instruments.")
    return render(request, "supervision/instrument_list.html", {
        "instruments": selectors.instruments_for(request.user),
        "can_add": can(request.user, ADD, RatingInstrument),
    })


@login_required
def instrument_detail(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _one(selectors.instruments_for(request.user), pk, "rating instrument")
    return render(request, "supervision/instrument_detail.html", {
        "instrument": instrument, "criteria": instrument.criteria.all(),
        "can_copy": can(request.user, ADD, RatingInstrument),
        "can_change": selectors.instruments_for(request.user, CHANGE).filter(
            pk=instrument.pk).exists(),
        "used": Evaluation.objects.filter(instrument=instrument).count(),
    })


@login_required
def instrument_copy(request: HttpRequest, pk: int) -> HttpResponse:
    source = _one(selectors.instruments_for(request.user), pk, "rating instrument")
    if not can(request.user, ADD, RatingInstrument):
        raise PermissionDenied("Your role does not adapt rating instruments.")
    form = forms.InstrumentCopyForm(request.user, request.POST or None,
                                    initial={"name": f"{source.name} (adapted)"})
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.copy_instrument(request.user, source,  # type: ignore[arg-type]
                                            form.cleaned_data["agency"],
                                            form.cleaned_data["name"])
        except ValidationError as exc:
            _apply_errors(exc, form)
        else:
            messages.success(request, f"Copied {source} as {copy}; adapt its criteria now.")
            return redirect("instrument-edit", pk=copy.pk)
    return _form_page(request, form, f"Copy {source}", "instrument-list",
                      "Your agency's copy keeps every criterion; change, add or remove "
                      "criteria afterwards.", status=400 if request.method == "POST" else 200,
                      submit="Copy")


@login_required
def instrument_edit(request: HttpRequest, pk: int) -> HttpResponse:
    instrument = _one(selectors.instruments_for(request.user), pk, "rating instrument")
    if not selectors.instruments_for(request.user, CHANGE).filter(pk=pk).exists():
        raise PermissionDenied("Only the agency's administrator changes its own instruments; "
                               "copy the standard one to adapt it.")
    initial = [{"id": c.pk, "code": c.code, "label": c.label, "guidance": c.guidance,
                "requirement": c.requirement, "sort_order": c.sort_order}
               for c in instrument.criteria.all()]
    form = forms.InstrumentForm(request.POST or None, instance=instrument)
    formset = forms.CriterionFormSet(request.POST or None, initial=initial, prefix="c")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows = [{**f.cleaned_data, "delete": f.cleaned_data.get("DELETE")}
                for f in formset.forms if f.cleaned_data and (
                    f.cleaned_data.get("id") or f.cleaned_data.get("label")
                    or f.cleaned_data.get("code"))]
        try:
            services.update_instrument(request.user, instrument,  # type: ignore[arg-type]
                                       form.cleaned_data, rows)
        except ValidationError as exc:
            for key, errs in exc.message_dict.items():
                parts = key.split(".")
                if parts[0] == "criteria" and len(parts) == 3:
                    kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get(
                        "DELETE") and (f.cleaned_data.get("id") or f.cleaned_data.get("label")
                                       or f.cleaned_data.get("code"))]
                    target = kept[int(parts[1])] if int(parts[1]) < len(kept) else None
                    if target is not None and parts[2] in target.fields:
                        target.add_error(parts[2], errs)
                        continue
                form.add_error(key if key in form.fields else None, errs)
        else:
            messages.success(request, f"Saved {instrument}.")
            return redirect("instrument-detail", pk=instrument.pk)
    return render(request, "supervision/instrument_form.html", {
        "instrument": instrument, "form": form, "formset": formset,
        "used": Evaluation.objects.filter(instrument=instrument).count(),
    }, status=400 if request.method == "POST" else 200)
