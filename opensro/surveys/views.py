"""Survey pages.

Signed in: survey windows (list, set up, change, detail with links and QR codes,
QR downloads, new link, delete), the standard questionnaires, and the suppressed
results. Public (no sign-in): the questionnaire reached through a link, and its
thank-you page (R-E4, R-F2).
"""

from __future__ import annotations

import io
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from opensro.core.crud import Resource, list_view
from opensro.core.permissions import ADD, CHANGE, DELETE, VIEW, can, can_on, restrict
from opensro.directory.models import School
from opensro.surveys import selectors, services
from opensro.surveys.choices import GROUP_ORDER, Agreement, RespondentGroup, WindowStatus
from opensro.surveys.forms import CampaignForm, DeleteForm, LinkRenewForm, ResponseForm
from opensro.surveys.models import Campaign, Questionnaire, Response, SurveyLink

RESOURCE = Resource(
    Campaign, "survey-windows", "Survey windows", CampaignForm,
    services.create_campaign, services.update_campaign,
    columns=[("school", "School"), ("name", "Name"), ("opens_on", "Opens"),
             ("closes_on", "Closes"), ("status_label", "Status"),
             ("group_labels", "Groups")],
    search=["name", "school__name"], filters=["school"],
    select_related=["school"],
    help_text="Anonymous surveys of students, families and staff on feeling safe at "
              "school and on the SRO's fairness and respect (R-E4, R-F2). Each window "
              "has a link and QR code per group; results appear once it closes.",
)

windows_list = list_view(RESOURCE)


# ---------------------------------------------------------------- survey windows


def _window(request: HttpRequest, pk: int, action: str = VIEW) -> Campaign:
    window = restrict(Campaign.objects.select_related("school", "school_year"),
                      request.user, VIEW).filter(pk=pk).first()
    if window is None:
        raise Http404(f"No survey window {pk} in your scope.")
    if action != VIEW and not can_on(request.user, action, window):
        raise PermissionDenied
    return window


def _schools(user: Any) -> Any:
    return restrict(School.objects.filter(active=True), user, CHANGE)


def _apply(exc: ValidationError, form: Any) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _form_page(request: HttpRequest, window: Campaign | None) -> HttpResponse:
    editing = window is not None
    form = CampaignForm(request.POST or None, instance=window, schools=_schools(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if window is None:
                saved = services.create_campaign(request.user, data)  # type: ignore[arg-type]
            else:
                data.pop("school", None)
                saved = services.update_campaign(request.user, window, data)  # type: ignore[arg-type]
        except ValidationError as exc:
            _apply(exc, form)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not make that change."))
        else:
            messages.success(request, _("Saved survey window “%(name)s”.") % {"name": saved})
            return redirect("survey-windows-detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "crud/form.html", {
        "resource": RESOURCE, "form": form, "obj": window, "editing": editing,
    }, status=status)


@login_required
def window_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ADD, Campaign):
        raise PermissionDenied
    return _form_page(request, None)


@login_required
def window_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, _window(request, pk, CHANGE))


def respond_url(request: HttpRequest, link: SurveyLink, language: str = "") -> str:
    url = request.build_absolute_uri(reverse("survey-respond", args=[link.token]))
    return f"{url}?lang={language}" if language else url


def _qr(url: str) -> Any:
    return segno.make(url, error="m")


def qr_svg_inline(url: str, label: str) -> str:
    """The QR code as inline SVG, named for screen readers."""
    svg: str = _qr(url).svg_inline(scale=4, title=label, svgclass="qr-code")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


@login_required
def window_detail(request: HttpRequest, pk: int) -> HttpResponse:
    window = _window(request, pk)
    may_change = can_on(request.user, CHANGE, window)
    links: list[dict[str, Any]] = []
    for link in window.links.select_related("questionnaire").order_by("group"):
        if not link.active:
            continue
        url = respond_url(request, link)
        label = _("QR code for the %(group)s survey at %(school)s") % {
            "group": link.get_group_display().lower(), "school": window.school}
        links.append({
            "link": link, "url": url, "url_es": respond_url(request, link, "es"),
            "qr": qr_svg_inline(url, label),
        })
    links.sort(key=lambda x: GROUP_ORDER.index(x["link"].group))
    groups, counts, total = selectors.window_counts(request.user, window)
    answered = Response.objects.filter(campaign=window).exists()
    return render(request, "surveys/window_detail.html", {
        "window": window, "links": links, "may_change": may_change,
        "counts": list(zip(groups, counts, strict=True)), "total": total,
        "group_names": dict(RespondentGroup.choices),
        "closed": window.has_closed(), "open": window.is_open(),
        "may_delete": can_on(request.user, DELETE, window) and not answered,
        "renew_form": LinkRenewForm(), "delete_form": DeleteForm(),
        "min_cell": selectors.min_cell(),
        "may_read_results": can_on(request.user, selectors.RESULTS, window),
    })


def _link(request: HttpRequest, pk: int, group: str, action: str = VIEW) -> SurveyLink:
    window = _window(request, pk, action)
    link = window.links.filter(group=group).select_related("campaign__school").first()
    if link is None or not link.active:
        raise Http404("This window has no link for that group.")
    return link


@login_required
def link_qr(request: HttpRequest, pk: int, group: str, fmt: str) -> HttpResponse:
    """The QR code as an SVG or PNG file, for printing (``?lang=es`` opens in Spanish)."""
    link = _link(request, pk, group)
    language = request.GET.get("lang", "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = ""
    qr = _qr(respond_url(request, link, language))
    out = io.BytesIO()
    suffix = f"-{language}" if language else ""
    name = slugify(f"survey-{link.campaign.school}-{link.group}{suffix}")
    if fmt == "svg":
        qr.save(out, kind="svg", scale=10, border=4,
                title=_("Survey for %(group)s") % {"group": link.get_group_display().lower()})
        content_type = "image/svg+xml"
    else:
        qr.save(out, kind="png", scale=12, border=4)
        content_type = "image/png"
    response = HttpResponse(out.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_POST
def link_renew(request: HttpRequest, pk: int, group: str) -> HttpResponse:
    link = _link(request, pk, group, CHANGE)
    form = LinkRenewForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.renew_link(request.user, link, reason)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        group = link.get_group_display().lower()
        messages.success(request, _("New %(group)s link issued; the old link and its QR codes "
                                    "no longer open.") % {"group": group})
    return redirect("survey-windows-detail", pk=pk)


@login_required
@require_POST
def window_delete(request: HttpRequest, pk: int) -> HttpResponse:
    window = _window(request, pk, DELETE)
    form = DeleteForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.delete_campaign(request.user, window, reason)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("survey-windows-detail", pk=pk)
    messages.success(request, _("Deleted survey window “%(name)s”.") % {"name": window})
    return redirect("survey-windows-list")


# ---------------------------------------------------------------- questionnaires


@login_required
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, VIEW, Questionnaire):
        raise PermissionDenied
    items = restrict(Questionnaire.objects.prefetch_related("questions"), request.user, VIEW)
    return render(request, "surveys/questionnaire_list.html", {"questionnaires": items})


@login_required
def questionnaire_detail(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = restrict(Questionnaire.objects.all(), request.user, VIEW).filter(
        pk=pk).first()
    if questionnaire is None:
        raise Http404(f"No questionnaire {pk}.")
    return render(request, "surveys/questionnaire_detail.html", {
        "questionnaire": questionnaire, "questions": questionnaire.questions.all(),
        "scale": Agreement.choices,
    })


# ---------------------------------------------------------------- results


@login_required
def results(request: HttpRequest) -> HttpResponse:
    if not selectors.may_read_results(request.user):
        raise PermissionDenied
    errors: list[str] = []
    try:
        scope = selectors.resolve_scope(request.user, request.GET.get("scope"))
    except ValidationError as exc:
        errors += exc.messages
        scope = selectors.resolve_scope(request.user, None)
    try:
        year = selectors.resolve_year(request.user, request.GET.get("year"))
    except ValidationError as exc:
        errors += exc.messages
        year = selectors.default_year(request.user)
    window = request.GET.get("window", "")
    window_pk = int(window) if window.isdigit() else None
    table = selectors.results(request.user, year, scope, window_pk)
    status = 400 if errors else 200
    return render(request, "surveys/results.html", {
        "table": table, "scope": scope, "year": year, "errors": errors,
        "scopes": selectors.scopes_for(request.user), "years": selectors.years_for(request.user),
        "window": window_pk, "group_range": range(len(table.groups)),
    }, status=status)


# ---------------------------------------------------------------- public pages


def _public_link(token: str) -> SurveyLink | None:
    return SurveyLink.objects.select_related(
        "campaign__school", "questionnaire").filter(token=token).first()


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/public_message.html", {
        "heading": _("This survey link does not work"),
        "message": _("The link may have been mistyped, or replaced by a new one. Ask your "
                     "school for the current survey link."),
    }, status=404)


def _closed(request: HttpRequest, link: SurveyLink, status: int) -> HttpResponse:
    window = link.campaign
    state = window.status() if link.active else WindowStatus.CLOSED
    if state == WindowStatus.SCHEDULED:
        message = _("This survey opens on %(date)s. Please come back then.") % {
            "date": window.opens_on.isoformat()}
    elif not link.active:
        message = _("This survey is no longer open to this group.")
    else:
        message = _("This survey closed on %(date)s. Thank you for your interest.") % {
            "date": window.closes_on.isoformat()}
    return render(request, "surveys/public_message.html", {
        "heading": _("This survey is not open"), "message": message,
        "school": window.school,
    }, status=status)


def _form_response(request: HttpRequest, link: SurveyLink, form: ResponseForm, ticket: str,
                   notice: str = "", status: int = 200) -> HttpResponse:
    response = render(request, "surveys/respond.html", {
        "link": link, "window": link.campaign, "school": link.campaign.school,
        "questionnaire": link.questionnaire, "form": form, "ticket": ticket,
        "notice": notice, "min_cell": selectors.min_cell(),
    }, status=status)
    # Never stored by shared caches; the browser may keep it for Back (a resend of the
    # same form is then refused because its ticket is used).
    response["Cache-Control"] = "private"
    return response


#: The ticket of the current visit, kept only for the link's own path, only until the
#: browser closes. It holds nothing but the signed random ticket.
TICKET_COOKIE = "opensro_survey_ticket"


def _keep_ticket(response: HttpResponse, link: SurveyLink, ticket: str) -> None:
    response.set_cookie(TICKET_COOKIE, ticket, path=reverse("survey-respond",
                                                             args=[link.token]),
                        httponly=True, samesite="Lax",
                        secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)))


def _already_sent(request: HttpRequest, link: SurveyLink, status: int) -> HttpResponse:
    return render(request, "surveys/public_message.html", {
        "heading": _("These answers were already sent"),
        "message": _("Each survey form can be sent only once, so nothing was changed. "
                     "The answers sent first are counted. Thank you for taking part."),
        "school": link.campaign.school,
        "again": reverse("survey-respond", args=[link.token]) + "?new=1",
    }, status=status)


@csrf_exempt  # the single-use ticket already ties the POST to a served form
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The public questionnaire: each page served carries a fresh single-use ticket;
    sending the form consumes it. No sign-in, no cookies needed, no JavaScript."""
    link = _public_link(token)
    if link is None:
        return _not_found(request)
    language = request.GET.get("lang", "")
    if request.method == "GET" and language in {code for code, _n in settings.LANGUAGES}:
        # A link printed for one language: remember the choice like the language switch
        # does, then serve the plain link (so switching language still works).
        redirect_to = redirect("survey-respond", token=token)
        redirect_to.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                               max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax")
        return redirect_to
    questions = list(link.questionnaire.questions.all())
    if request.method != "POST":
        if not link.active or not link.campaign.is_open():
            return _closed(request, link, 200)
        # One visit, one ticket: a reload or Back within the visit gets the same ticket
        # (kept in a cookie for this link only), so the form cannot be sent twice;
        # "Answer as another person" (?new) starts a new visit.
        if "new" in request.GET:
            restart = redirect("survey-respond", token=token)
            _keep_ticket(restart, link, services.issue_ticket(link))
            return restart
        ticket = request.COOKIES.get(TICKET_COOKIE, "")
        state = services.ticket_state(ticket, link) if ticket else services.TicketError.INVALID
        if state == services.TicketError.INVALID:
            ticket = services.issue_ticket(link)
        elif state == services.TicketError.USED:
            return _already_sent(request, link, 200)
        response = _form_response(request, link, ResponseForm(questions), ticket)
        _keep_ticket(response, link, ticket)
        return response
    form = ResponseForm(questions, request.POST)
    form.is_valid()
    ticket = request.POST.get("ticket", "")
    raw = {key: value for key, value in request.POST.items() if key.startswith("q")}
    try:
        services.submit_response(link, ticket, raw)
    except services.WindowClosed:
        return _closed(request, link, 410)
    except services.TicketError as exc:
        if exc.code == services.TicketError.USED:
            return _already_sent(request, link, 409)
        notice = (_("This form was open for more than three days. Your answers are still "
                    "here: please check them and send them again.")
                  if exc.code == services.TicketError.EXPIRED else
                  _("This form could not be checked. Your answers are still here: please "
                    "check them and send them again."))
        fresh = services.issue_ticket(link)
        response = _form_response(request, link, form, fresh, notice, 400)
        _keep_ticket(response, link, fresh)
        return response
    except ValidationError as exc:
        for key, errs in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errs)
        return _form_response(request, link, form, ticket, status=400)
    # An explicit fragment: otherwise the browser keeps the form's "#problems".
    return redirect(reverse("survey-thanks", args=[token]) + "#main")


def thanks(request: HttpRequest, token: str) -> HttpResponse:
    link = _public_link(token)
    if link is None:
        return _not_found(request)
    return render(request, "surveys/public_message.html", {
        "heading": _("Thank you"),
        "message": _("Your answers were received. They are counted together with everyone "
                     "else's and never shown on their own."),
        "school": link.campaign.school, "thanks": True,
    })

