"""Forms of the CRDC pages: choose a district and year; upload the district's counts."""

from __future__ import annotations

from typing import Any

from django import forms

from opensro.crdc import selectors
from opensro.directory.models import District, SchoolYear


class _DistrictYear(forms.Form):
    district = forms.ModelChoiceField(queryset=District.objects.none(), to_field_name="nces_id",
                                      empty_label=None)
    school_year = forms.ModelChoiceField(queryset=SchoolYear.objects.order_by("-start_date"),
                                         to_field_name="code", empty_label=None,
                                         label="School year")

    def __init__(self, *args: Any, user: Any, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["district"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = selectors.districts_for(user, action)


class ChooseForm(_DistrictYear):
    """District and school year of the export (GET)."""


class UploadForm(_DistrictYear):
    file = forms.FileField(
        label="Counts file (CSV)",
        help_text="The CRDC export's layout: a COMBOKEY column (the school's NCES ID) and "
                  "any of the count columns. Leave a cell empty where your system has no "
                  "count.")
    note = forms.CharField(max_length=300, required=False,
                           help_text="What this file is, e.g. “SIS extract of 3 March”.")


class ResultFilter(forms.Form):
    show = forms.ChoiceField(choices=[("disagreements", "Only the cells that disagree"),
                                      ("all", "Every compared cell")], required=False,
                             label="Show")
    school = forms.ChoiceField(required=False, label="School")

    def __init__(self, *args: Any, schools: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Every school"), *schools]
