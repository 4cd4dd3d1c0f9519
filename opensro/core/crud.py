"""One set of list, detail, create and edit views for every directory-like model.

A :class:`Resource` names the model, its form, its service functions, its list
columns and filters. The views read through ``restrict`` (scoped) and write through
the service (validated, audited), so no view filters or saves by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from opensro.core.permissions import ADD, CHANGE, VIEW, can, can_on, restrict

CreateFn = Callable[[Any, Mapping[str, Any]], models.Model]
UpdateFn = Callable[[Any, Any, Mapping[str, Any]], models.Model]


@dataclass
class Resource:
    model: type[models.Model]
    slug: str
    title: str
    form: type[forms.ModelForm[Any]]
    create: CreateFn
    update: UpdateFn
    columns: Sequence[tuple[str, str]]
    search: Sequence[str] = ()
    filters: Sequence[str] = ()
    select_related: Sequence[str] = ()
    detail_fields: Sequence[tuple[str, str]] = ()
    related: Sequence[tuple[str, str, Callable[[Any, Any], QuerySet[Any]]]] = ()
    help_text: str = ""
    scoped_form_fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    def list_url(self) -> str:
        return reverse(f"{self.slug}-list")

    def queryset(self, user: Any, action: str = VIEW) -> QuerySet[Any]:
        qs = self.model._default_manager.all()
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        return restrict(qs, user, action)


def _cell(obj: Any, attr: str) -> Any:
    value: Any = obj
    for part in attr.split("."):
        display = getattr(value, f"get_{part}_display", None)
        value = display() if callable(display) else getattr(value, part, "")
        if callable(value) and not isinstance(value, models.Manager):
            value = value()
        if value is None:
            return ""
    return value


def _scope_form(resource: Resource, form: forms.ModelForm[Any], user: Any, action: str) -> None:
    """Limit choice fields to objects the user may use (e.g. only their district)."""
    for name, act in resource.scoped_form_fields.items():
        fld = form.fields.get(name)
        if isinstance(fld, forms.ModelChoiceField):
            fld.queryset = restrict(fld.queryset, user, act)  # type: ignore[arg-type]
    del action


def list_view(resource: Resource) -> Callable[[HttpRequest], HttpResponse]:
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        if not can(request.user, VIEW, resource.model):
            raise PermissionDenied
        qs = resource.queryset(request.user)
        query = request.GET.get("q", "").strip()
        if query and resource.search:
            cond = Q()
            for fname in resource.search:
                cond |= Q(**{f"{fname}__icontains": query})
            qs = qs.filter(cond)
        active_filters = []
        for fname in resource.filters:
            value = request.GET.get(fname, "").strip()
            if value:
                qs = qs.filter(**{fname: value})
            field_obj: Any = resource.model._meta.get_field(fname.split("__")[0])
            choices = list(getattr(field_obj, "choices", None) or [])
            if not choices and getattr(field_obj, "related_model", None) is not None:
                related = restrict(field_obj.related_model._default_manager.all(),
                                   request.user, VIEW)
                choices = [(str(o.pk), str(o)) for o in related[:200]]
            active_filters.append({
                "name": fname, "label": str(field_obj.verbose_name).capitalize(),
                "value": value, "choices": [(str(k), str(v)) for k, v in choices],
            })
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        rows = [
            {"obj": obj, "url": reverse(f"{resource.slug}-detail", args=[obj.pk]),
             "cells": [_cell(obj, attr) for attr, _label in resource.columns]}
            for obj in page.object_list
        ]
        return render(request, "crud/list.html", {
            "resource": resource, "page": page, "rows": rows, "query": query,
            "filters": active_filters, "can_add": can(request.user, ADD, resource.model),
            "columns": [label for _attr, label in resource.columns],
        })

    return view


def _get(resource: Resource, request: HttpRequest, pk: int, action: str) -> Any:
    obj = resource.queryset(request.user, VIEW).filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No {resource.verbose_name} {pk} in your scope.")
    if action != VIEW and not can_on(request.user, action, obj):
        raise PermissionDenied
    return obj


def detail_view(resource: Resource) -> Callable[[HttpRequest, int], HttpResponse]:
    @login_required
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        obj = _get(resource, request, pk, VIEW)
        fields_shown = resource.detail_fields or [
            (f.name, str(f.verbose_name).capitalize())
            for f in resource.model._meta.concrete_fields
            if f.name not in {"id", "created_at", "updated_at", "user"}
        ]
        related = []
        for title, slug, fetch in resource.related:
            related.append({"title": title, "slug": slug,
                            "objects": list(fetch(obj, request.user)[:100])})
        return render(request, "crud/detail.html", {
            "resource": resource, "obj": obj,
            "fields": [(label, _cell(obj, attr)) for attr, label in fields_shown],
            "related": related,
            "can_change": can_on(request.user, CHANGE, obj),
        })

    return view


def _save(
    request: HttpRequest, resource: Resource, form: forms.ModelForm[Any], obj: Any | None
) -> Any:
    data = dict(form.cleaned_data)
    try:
        if obj is None:
            return resource.create(request.user, data)
        return resource.update(request.user, obj, data)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for fname, errs in exc.message_dict.items():
                form.add_error(fname if fname in form.fields else None, errs)
        else:
            form.add_error(None, exc.messages)
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or "You may not make that change.")
    return None


def form_view(resource: Resource, editing: bool) -> Callable[..., HttpResponse]:
    @login_required
    def view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
        obj = _get(resource, request, pk, CHANGE) if editing and pk is not None else None
        if not editing and not can(request.user, ADD, resource.model):
            raise PermissionDenied
        form = resource.form(request.POST or None, instance=obj)
        _scope_form(resource, form, request.user, CHANGE if editing else ADD)
        if request.method == "POST" and form.is_valid():
            saved = _save(request, resource, form, obj)
            if saved is not None:
                messages.success(request, f"Saved {resource.verbose_name} “{saved}”.")
                return redirect(f"{resource.slug}-detail", pk=saved.pk)
        status = 400 if request.method == "POST" else 200
        return render(request, "crud/form.html", {
            "resource": resource, "form": form, "obj": obj, "editing": editing,
        }, status=status)

    return view


def urls_for(resource: Resource) -> list[Any]:
    s = resource.slug
    return [
        path(f"{s}/", list_view(resource), name=f"{s}-list"),
        path(f"{s}/new/", form_view(resource, editing=False), name=f"{s}-create"),
        path(f"{s}/<int:pk>/", detail_view(resource), name=f"{s}-detail"),
        path(f"{s}/<int:pk>/edit/", form_view(resource, editing=True), name=f"{s}-edit"),
    ]
