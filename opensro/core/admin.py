"""Django admin for system administrators. Audit and disclosure records are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from opensro.core.models import ApiToken, AuditEvent, Disclosure, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    autocomplete_fields = ()


@admin.register(User)
class OpenSROUserAdmin(UserAdmin):
    """Accounts and their role grants; each change is recorded in the audit chain."""

    inlines = [RoleGrantInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from django.db import transaction

        from opensro.core import audit

        with transaction.atomic():
            before = audit.snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
            super().save_model(request, obj, form, change)
            audit.record(request.user, "update_user" if change else "create_user", obj,  # type: ignore[arg-type]
                         before=before, after=audit.snapshot(obj))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        from django.db import transaction

        from opensro.core import audit

        with transaction.atomic():
            instances = formset.save(commit=False)
            for deleted in formset.deleted_objects:
                audit.record(request.user, "revoke_grant", deleted,  # type: ignore[arg-type]
                             before=audit.snapshot(deleted))
                deleted.delete()
            for grant in instances:
                grant.save()
                audit.record(request.user, "grant_role", grant,  # type: ignore[arg-type]
                             after=audit.snapshot(grant))


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "occurred_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "request_id")


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "user_label", "object_type", "object_id", "channel")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")


class ServiceAdmin(admin.ModelAdmin):
    """Admin whose saves and deletes go through ``core.services`` (validated, audited)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from opensro.core import services

        data = dict(form.cleaned_data)
        if change:
            saved = services.update(request.user, type(obj).objects.get(pk=obj.pk), data)  # type: ignore[arg-type]
        else:
            saved = services.create(request.user, type(obj), data)  # type: ignore[arg-type]
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Many-to-many fields were already written (and audited) by the service."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        from opensro.core import services

        services.delete(request.user, obj, reason="deleted in the administration site")  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
