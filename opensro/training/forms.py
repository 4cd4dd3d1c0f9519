"""Training forms. They only shape input; the rules live in ``services.py``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from opensro.training.choices import StaffTopic
from opensro.training.models import (
    AdministratorTrainingRecord,
    AgencyPolicy,
    Course,
    PolicyProfile,
    RequirementRule,
    StaffTrainingSession,
    TrainingRecord,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
HOURS = forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"})


class CourseForm(forms.ModelForm[Course]):
    class Meta:
        model = Course
        fields = ["code", "name", "kind", "nominal_hours", "source", "description",
                  "recommended_topic", "active", "sort_order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class CertificateField(forms.FileField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Certificate")
        kwargs.setdefault("help_text", "Optional. A PDF, PNG or JPEG file of at most 10 MB.")
        kwargs.setdefault("widget", forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/png,image/jpeg"}))
        super().__init__(**kwargs)


class _RecordForm(forms.ModelForm[Any]):
    upload = CertificateField()
    remove_certificate = forms.BooleanField(required=False,
                                            label="Remove the stored certificate")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.course_id if self.instance.pk else None
        self.fields["course"].queryset = Course.objects.filter(  # type: ignore[attr-defined]
            Q(active=True) | Q(pk=current))
        if not (self.instance.pk and self.instance.certificate):
            del self.fields["remove_certificate"]


class TrainingRecordForm(_RecordForm):
    class Meta:
        model = TrainingRecord
        fields = ["officer", "course", "completed_on", "hours", "provider", "notes"]
        widgets = {"completed_on": DATE, "hours": HOURS}

    def __init__(self, *args: Any, officers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if officers is not None:
            self.fields["officer"].queryset = officers  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["officer"].disabled = True


class AdministratorRecordForm(_RecordForm):
    class Meta:
        model = AdministratorTrainingRecord
        fields = ["person", "district", "course", "completed_on", "hours", "provider", "notes"]
        widgets = {"completed_on": DATE, "hours": HOURS}

    def __init__(self, *args: Any, people: Any = None, districts: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["person"].queryset = people  # type: ignore[attr-defined]
        if districts is not None:
            self.fields["district"].queryset = districts  # type: ignore[attr-defined]
        self.fields["person"].label_from_instance = (  # type: ignore[attr-defined]
            lambda u: u.get_full_name() or u.get_username())
        if self.instance.pk:
            self.fields["person"].disabled = True
            self.fields["district"].disabled = True


class ProfileForm(forms.ModelForm[PolicyProfile]):
    class Meta:
        model = PolicyProfile
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class CopyProfileForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name of the copy",
                           help_text="For example “NASRO as required by state law”.")


class RuleForm(forms.ModelForm[RequirementRule]):
    class Meta:
        model = RequirementRule
        fields = ["name", "description", "for_sros", "for_supervisors", "for_district_admins",
                  "courses", "min_hours", "anchor", "anchor_course", "offset_amount",
                  "offset_unit", "recurrence_months", "due_soon_days", "sort_order"]
        widgets = {"courses": forms.CheckboxSelectMultiple,
                   "description": forms.Textarea(attrs={"rows": 2}),
                   "min_hours": HOURS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["courses"].queryset = Course.objects.all()  # type: ignore[attr-defined]


class DeleteForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why is this being deleted?")


class AgencyPolicyForm(forms.ModelForm[AgencyPolicy]):
    class Meta:
        model = AgencyPolicy
        fields = ["agency", "profile", "program_start"]
        widgets = {"program_start": DATE}


class StaffSessionForm(forms.ModelForm[StaffTrainingSession]):
    topics = forms.MultipleChoiceField(choices=StaffTopic.choices,
                                       widget=forms.CheckboxSelectMultiple,
                                       label="Topics covered")

    class Meta:
        model = StaffTrainingSession
        fields = ["school", "held_on", "title", "topics", "attendees", "hours", "presenter",
                  "joint_with_sro", "notes"]
        widgets = {"held_on": DATE, "hours": HOURS}


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Training records CSV",
        help_text="UTF-8 CSV with the header "
                  "agency,badge_number,course,completed_on,hours,provider (and optionally "
                  "notes).")
    accept_valid = forms.BooleanField(
        required=False, label="Store the valid rows even if some rows are rejected")
