"""Directory forms. They only shape input; the rules live in ``services.py``."""

from __future__ import annotations

from typing import Any

from django import forms

from opensro.directory.models import (
    Agency,
    Assignment,
    District,
    Enrollment,
    Officer,
    School,
    SchoolYear,
)

DATE = forms.DateInput(attrs={"type": "date"})


class DistrictForm(forms.ModelForm[District]):
    website = forms.URLField(required=False, assume_scheme="https")
    class Meta:
        model = District
        fields = ["name", "nces_id", "state", "city", "website"]
        widgets = {"nces_id": forms.TextInput(attrs={"inputmode": "numeric",
                                                     "pattern": r"\d{7}"})}


class AgencyForm(forms.ModelForm[Agency]):
    class Meta:
        model = Agency
        fields = ["name", "kind", "ori", "state", "city", "districts_served"]
        widgets = {"districts_served": forms.CheckboxSelectMultiple}


class SchoolForm(forms.ModelForm[School]):
    class Meta:
        model = School
        fields = [
            "district", "name", "nces_id", "level", "lowest_grade", "highest_grade", "street",
            "city", "state", "postal_code", "campus_acres", "buildings",
            "non_sworn_safety_staff", "active",
        ]
        widgets = {"nces_id": forms.TextInput(attrs={"inputmode": "numeric",
                                                     "pattern": r"\d{12}"})}


class SchoolYearForm(forms.ModelForm[SchoolYear]):
    class Meta:
        model = SchoolYear
        fields = ["code", "start_date", "end_date", "sex_codes"]
        widgets = {"start_date": DATE, "end_date": DATE}


class EnrollmentForm(forms.ModelForm[Enrollment]):
    class Meta:
        model = Enrollment
        fields = ["school", "school_year", "group", "sex", "count"]


class OfficerForm(forms.ModelForm[Officer]):
    class Meta:
        model = Officer
        fields = ["agency", "first_name", "last_name", "badge_number", "kind", "sworn",
                  "date_sworn", "status"]
        widgets = {"date_sworn": DATE}


class AssignmentForm(forms.ModelForm[Assignment]):
    class Meta:
        model = Assignment
        fields = ["officer", "school", "start_date", "end_date", "primary", "notes"]
        widgets = {"start_date": DATE, "end_date": DATE}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = Officer.objects.select_related("agency")  # type: ignore[attr-defined]


class EnrollmentUploadForm(forms.Form):
    file = forms.FileField(
        label="Enrollment CSV",
        help_text="UTF-8 CSV with the header nces_school_id,school_year,group,sex,count.",
    )
    accept_valid = forms.BooleanField(
        required=False, label="Store the valid rows even if some rows are rejected",
    )
