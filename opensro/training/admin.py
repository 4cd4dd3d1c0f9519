"""Django admin for the course catalog (reference data, R-G1…R-G3). Saves go through the
audited services; profiles and their rules are edited on the training pages, where
built-in profiles stay as published."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from opensro.core.admin import ServiceAdmin
from opensro.training.models import Course


@admin.register(Course)
class CourseAdmin(ServiceAdmin):
    list_display = ("name", "code", "kind", "nominal_hours", "recommended_topic", "active")
    list_filter = ("kind", "recommended_topic", "active")
    search_fields = ("name", "code")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Codes are stable once used: rules and imports refer to them."""
        return ("code",) if obj is not None else ()
