"""The menu a signed-in user sees: only the pages their grants let them use."""

from __future__ import annotations

import importlib
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from opensro.core.choices import Role
from opensro.core.permissions import VIEW, can, has_role

#: Apps that add entries to the menu (each has ``navigation.menu_items(user)``).
MENU_APPS = ("program", "training", "selection", "supervision", "surveys", "transparency", "crdc")


def menu_for(user: Any) -> list[dict[str, str]]:
    from opensro.core.models import Flag
    from opensro.directory.views import RESOURCES
    from opensro.incidents.models import Activity, Incident

    items = [{"label": "Dashboard", "url": reverse("dashboard")}]
    if can(user, VIEW, Incident):
        items.append({"label": "Incidents", "url": reverse("incident-list")})
    if can(user, "review", Incident):
        items.append({"label": "Review queue", "url": reverse("incident-review-queue")})
    if can(user, VIEW, Flag):
        items.append({"label": "Flags", "url": reverse("flag-list")})
    if can(user, VIEW, Activity):
        items.append({"label": "Activities", "url": reverse("activities-list")})
    from opensro.analytics.selectors import may_analyse

    if may_analyse(user):
        items.append({"label": "Disparities", "url": reverse("disparity")})
    for app in MENU_APPS:
        items.extend(importlib.import_module(f"opensro.{app}.navigation").menu_items(user))
    for resource in RESOURCES:
        if can(user, VIEW, resource.model):
            items.append({"label": resource.title, "url": resource.list_url()})
    if has_role(user, Role.AUDITOR, Role.SYSTEM_ADMIN):
        items.append({"label": "Audit log", "url": reverse("audit-log")})
    items.append({"label": "API tokens", "url": reverse("tokens")})
    # The administration site admits active staff accounts only; a system administrator
    # granted by role alone would meet its sign-in page, so the link follows is_staff.
    if getattr(user, "is_staff", False) and getattr(user, "is_active", False):
        items.append({"label": "Administration", "url": reverse("admin:index")})
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    current = request.path
    items = menu_for(user)
    for item in items:
        item["current"] = "page" if current == item["url"] or (
            item["url"] != "/" and current.startswith(item["url"])) else ""
    return {"nav_items": items}
