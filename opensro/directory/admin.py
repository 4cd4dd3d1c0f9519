"""Django admin for system administrators; every save goes through the audited services."""

from django.contrib import admin

from opensro.core.admin import ServiceAdmin
from opensro.directory.models import (
    Agency,
    Assignment,
    District,
    Enrollment,
    Officer,
    School,
    SchoolYear,
)


@admin.register(District)
class DistrictAdmin(ServiceAdmin):
    list_display = ("name", "nces_id", "state")
    search_fields = ("name", "nces_id")


@admin.register(Agency)
class AgencyAdmin(ServiceAdmin):
    list_display = ("name", "kind", "state")
    search_fields = ("name",)


@admin.register(School)
class SchoolAdmin(ServiceAdmin):
    list_display = ("name", "nces_id", "level", "district")
    list_filter = ("level", "district")
    search_fields = ("name", "nces_id")


@admin.register(SchoolYear)
class SchoolYearAdmin(ServiceAdmin):
    list_display = ("code", "start_date", "end_date")


@admin.register(Enrollment)
class EnrollmentAdmin(ServiceAdmin):
    list_display = ("school", "school_year", "group", "sex", "count")
    list_filter = ("school_year", "group")


@admin.register(Officer)
class OfficerAdmin(ServiceAdmin):
    list_display = ("last_name", "first_name", "badge_number", "agency", "status")
    search_fields = ("last_name", "badge_number")


@admin.register(Assignment)
class AssignmentAdmin(ServiceAdmin):
    list_display = ("officer", "school", "start_date", "end_date", "primary")
