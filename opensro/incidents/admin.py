"""Django admin for incident records' reference data. Saves go through the audited
services; the reason taxonomy is maintained here (R-D2)."""

from django.contrib import admin

from opensro.core.admin import ServiceAdmin
from opensro.incidents.models import IncidentReason


@admin.register(IncidentReason)
class IncidentReasonAdmin(ServiceAdmin):
    list_display = ("label", "code", "kind", "active", "sort_order")
    list_filter = ("kind", "active")
    search_fields = ("label", "code")

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        """Codes are stable once used: records and imports refer to them."""
        return ("code",) if obj is not None else ()
