"""Selection forms. They only shape input; the rules live in ``services.py``."""

from __future__ import annotations

from typing import Any

from django import forms

from opensro.selection.choices import QUALITIES, Decision
from opensro.selection.models import (
    Candidate,
    CommitteeMember,
    Probation,
    Rating,
    SelectionProcess,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProcessForm(forms.ModelForm[SelectionProcess]):
    class Meta:
        model = SelectionProcess
        fields = ["agency", "school", "title", "opened_on", "closed_on", "notes"]
        widgets = {"opened_on": DATE, "closed_on": DATE,
                   "notes": forms.Textarea(attrs={"rows": 3})}


class MemberForm(forms.ModelForm[CommitteeMember]):
    class Meta:
        model = CommitteeMember
        fields = ["process", "name", "role", "organization", "works_with_sro", "user"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].label_from_instance = (  # type: ignore[attr-defined]
            lambda u: f"{u.get_full_name() or u.get_username()} ({u.get_username()})")


class CandidateForm(forms.ModelForm[Candidate]):
    class Meta:
        model = Candidate
        fields = ["process", "officer", "first_name", "last_name", "date_sworn", "volunteered",
                  "youth_complaints", "youth_complaint_notes", "youth_experience", "notes"]
        widgets = {"date_sworn": DATE,
                   "youth_complaint_notes": forms.Textarea(attrs={"rows": 3}),
                   "youth_experience": forms.Textarea(attrs={"rows": 3}),
                   "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "date_sworn"):
            self.fields[name].required = False
            self.fields[name].help_text = "Taken from the officer's record when left empty."


class RatingForm(forms.ModelForm[Rating]):
    class Meta:
        model = Rating
        fields = ["candidate", "member", *[q for q, _l in QUALITIES], "comments"]
        widgets = {q: forms.RadioSelect for q, _l in QUALITIES}
        labels = dict(QUALITIES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for q, _label in QUALITIES:
            field = self.fields[q]
            field.choices = [c for c in field.choices if c[0] != ""]  # type: ignore[attr-defined]
            field.help_text = "1 weak · 5 strong"
        if self.instance.pk:
            self.fields["member"].disabled = True


class ProbationForm(forms.ModelForm[Probation]):
    class Meta:
        model = Probation
        fields = ["candidate", "start_date", "end_date", "school_admin_name", "reviewed_on",
                  "school_admin_comments", "outcome", "outcome_reason"]
        widgets = {"start_date": DATE, "end_date": DATE, "reviewed_on": DATE,
                   "school_admin_comments": forms.Textarea(attrs={"rows": 4}),
                   "outcome_reason": forms.Textarea(attrs={"rows": 2})}


class ReviewForm(forms.ModelForm[Probation]):
    """What a school administrator documents (R-B4)."""

    class Meta:
        model = Probation
        fields = ["reviewed_on", "school_admin_comments"]
        widgets = {"reviewed_on": DATE,
                   "school_admin_comments": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewed_on"].required = True
        self.fields["school_admin_comments"].required = True


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(Decision.SELECTED.value, Decision.SELECTED.label),
                 (Decision.NOT_SELECTED.value, Decision.NOT_SELECTED.label)],
        widget=forms.RadioSelect)
    decision_reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}),
                                      label="Reason")
    decided_on = forms.DateField(widget=DATE, label="Date of the decision")
