"""Program forms. They only shape input; the rules live in ``services.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from opensro.program.documents import MAX_DOCUMENT_BYTES
from opensro.program.models import Mou, MouElement, MouReview, StaffingFactors

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MouForm(forms.ModelForm[Mou]):
    document = forms.FileField(
        label="Signed document (PDF)", required=False,
        help_text=(f"The MOU as signed by both parties, a PDF of at most "
                   f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB. Needed before the MOU is "
                   "marked executed."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    class Meta:
        model = Mou
        fields = ["agency", "district", "title", "version", "status", "effective_date",
                  "expiry_date", "public", "notes"]
        widgets = {"effective_date": DATE, "expiry_date": DATE,
                   "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].required = False
        self.fields["version"].help_text = (
            "Leave empty for the next number between these parties.")
        if self.instance.pk is not None:
            # An MOU stays with its parties; another pair gets its own MOU.
            for name in ("agency", "district"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "An MOU stays with its parties."


class ChecklistForm(forms.Form):
    """One row per catalog element: present, section reference, notes (R-C1, R-C2)."""

    def __init__(self, *args: Any, rows: Sequence[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            element: MouElement = row["element"]
            code = element.code
            self.fields[f"present_{code}"] = forms.BooleanField(
                required=False, initial=row["present"], label=f"{element.label}: present")
            self.fields[f"section_{code}"] = forms.CharField(
                required=False, initial=row["section"], max_length=100,
                label=f"{element.label}: section")
            self.fields[f"notes_{code}"] = forms.CharField(
                required=False, initial=row["notes"], max_length=300,
                label=f"{element.label}: notes")

    def items(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [{"element": row["element"],
                 "present": data.get(f"present_{row['element'].code}", False),
                 "section": data.get(f"section_{row['element'].code}", ""),
                 "notes": data.get(f"notes_{row['element'].code}", "")} for row in self.rows]

    def table(self) -> list[dict[str, Any]]:
        return [{"element": row["element"],
                 "present": self[f"present_{row['element'].code}"],
                 "section": self[f"section_{row['element'].code}"],
                 "notes": self[f"notes_{row['element'].code}"]} for row in self.rows]

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            code, _sep, part = key.partition(".")
            name = f"{part or 'present'}_{code}"
            self.add_error(name if name in self.fields else None, messages)


class MouReviewForm(forms.ModelForm[MouReview]):
    class Meta:
        model = MouReview
        fields = ["review_date", "attendees", "minutes", "next_review_due"]
        widgets = {"review_date": DATE, "next_review_due": DATE,
                   "attendees": forms.Textarea(attrs={"rows": 4}),
                   "minutes": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["next_review_due"].required = False


class MouElementForm(forms.ModelForm[MouElement]):
    class Meta:
        model = MouElement
        fields = ["code", "label", "description", "source", "required", "sort_order",
                  "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class StaffingFactorsForm(forms.ModelForm[StaffingFactors]):
    class Meta:
        model = StaffingFactors
        fields = ["school", "school_year", "non_sworn_safety_staff", "calls_for_service",
                  "notes"]
