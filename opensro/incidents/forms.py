"""Incident forms: the mobile quick-log form and its students. They only shape input;
the rules are in ``rules.py`` and run in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils import timezone

from opensro.directory.models import Officer, School
from opensro.incidents import choices as c
from opensro.incidents.models import Activity, Incident, IncidentReason, Involvement

RADIO = forms.RadioSelect(attrs={"class": "inline-choices"})


def _choose_placeholders(form: forms.BaseForm) -> None:
    """Selects start with a "Choose…" prompt rather than dashes."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            field.empty_label = "Choose…"
        elif isinstance(field, forms.TypedChoiceField | forms.ChoiceField) and not isinstance(
                field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            choices = list(field.choices)  # type: ignore[arg-type]
            if choices and choices[0][0] == "":
                field.choices = [("", "Choose…"), *choices[1:]]


class ReasonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


class IncidentForm(forms.ModelForm[Incident]):
    """The incident part of the quick-log form (R-D1, R-D2)."""

    occurred_at = forms.DateTimeField(
        label="When it happened",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    reason = ReasonChoiceField(queryset=IncidentReason.objects.filter(active=True),
                               label="Reason for SRO involvement")
    amend_reason = forms.CharField(
        required=False, label="Why are you changing this submitted record?",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Incident
        fields = ["school", "officer", "occurred_at", "late_entry_reason", "location",
                  "involvement_source", "requester_role", "reason", "would_call_911",
                  "deescalation", "deescalation_notes", "narrative"]
        widgets = {
            "would_call_911": RADIO,
            "deescalation": RADIO,
            "narrative": forms.Textarea(attrs={"rows": 3}),
            "deescalation_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, schools: Any = None, officers: Any = None,
                 amending: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if schools is not None:
            self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        if officers is not None:
            self.fields["officer"].queryset = officers  # type: ignore[attr-defined]
        self.fields["officer"].required = False
        self.fields["officer"].label = "Responding officer"
        self.fields["would_call_911"].choices = list(c.YesNo.choices)  # type: ignore[attr-defined]
        self.fields["deescalation"].choices = [("", "Not applicable")] + list(  # type: ignore[attr-defined]
            c.Deescalation.choices)
        self.fields["requester_role"].help_text = "Only when school staff requested the SRO."
        if not self.initial.get("occurred_at") and not self.instance.pk:
            self.initial["occurred_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        if not amending:
            del self.fields["amend_reason"]
        self.fields["deescalation_notes"].label = "If not tried: why not"
        _choose_placeholders(self)


class InvolvementForm(forms.ModelForm[Involvement]):
    """One student: attributes (R-D5), actions (R-D4), and the legal basis (R-D3)."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    student_id = forms.CharField(
        required=False, label="District student ID (optional)",
        help_text="Used only to count students once; stored as a keyed pseudonym, never as "
                  "entered.",
    )
    basis = forms.MultipleChoiceField(
        required=False, choices=c.Basis.choices, widget=forms.CheckboxSelectMultiple,
        label="Stated basis",
    )

    class Meta:
        model = Involvement
        fields = [
            "role", "race", "sex", "grade", "age", "idea", "section_504", "english_learner",
            *c.ACTION_FIELDS,
            "offense", "offense_severity", "statute",
            "search_basis", "search_found", "rights_advised", "parent_notified",
            "restraint_type", "restraint_minutes", "force_type", "arrest_charge",
            "basis", "basis_details", "why_at_school", "probable_cause",
            "removed_from_public_view", "accommodations",
            "sexual_orientation", "gender_identity", "sogi_volunteered",
        ]
        widgets = {
            "basis_details": forms.Textarea(attrs={"rows": 2}),
            "why_at_school": forms.Textarea(attrs={"rows": 2}),
            "probable_cause": forms.Textarea(attrs={"rows": 2}),
            "accommodations": forms.Textarea(attrs={"rows": 2}),
            "removed_from_public_view": RADIO,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose_placeholders(self)
        self.fields["removed_from_public_view"].choices = list(c.YesNo.choices)  # type: ignore[attr-defined]
        self.fields["removed_from_public_view"].required = False
        self.fields["offense_severity"].required = False

    def cleaned_student(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("DELETE", None)
        data["offense_severity"] = data.get("offense_severity") or "none"
        return data


InvolvementFormSet = formset_factory(InvolvementForm, extra=0, min_num=1, validate_min=True,
                                     can_delete=True)


class ReviewForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              label="Review comment")


class IncidentFilterForm(forms.Form):
    """Filters of the incident list (all optional)."""

    date_from = forms.DateField(required=False, label="From",
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To",
                              widget=forms.DateInput(attrs={"type": "date"}))
    school = forms.ModelChoiceField(queryset=School.objects.none(), required=False)
    officer = forms.ModelChoiceField(queryset=Officer.objects.none(), required=False)
    action = forms.ChoiceField(required=False, choices=[("", "Any")] + list(c.ACTIONS))
    status = forms.ChoiceField(required=False, choices=[("", "Any")] + list(c.Status.choices))
    flag = forms.ChoiceField(required=False, label="Discipline-involvement flag",
                             choices=[("", "Any"), ("open", "Open flag"),
                                      ("any", "Ever flagged")])


class ActivityForm(forms.ModelForm[Activity]):
    class Meta:
        model = Activity
        fields = ["officer", "school", "date", "kind", "topic", "minutes", "participants",
                  "audience", "notes"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}),
                   "notes": forms.Textarea(attrs={"rows": 3})}
