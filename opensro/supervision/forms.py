"""Supervision forms. They only shape input; the rules live in ``services.py``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory

from opensro.core.models import User
from opensro.core.permissions import VIEW, restrict
from opensro.directory.models import Agency, Officer, School, SchoolYear
from opensro.supervision import selectors
from opensro.supervision.choices import Half, Score
from opensro.supervision.models import (
    Evaluation,
    EvaluationInput,
    RatingInstrument,
    Review,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 4})


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


# --------------------------------------------------------------------------- reviews


class ReviewScheduleForm(forms.ModelForm[Review]):
    """Schedule a review: when, where and who (R-F3: supervisor, SRO, school
    administrator); draft minutes may be kept here before the meeting."""

    class Meta:
        model = Review
        fields = ["meeting_on", "location", "supervisor", "school_administrator",
                  "attendees", "minutes"]
        widgets = {"meeting_on": DATE, "minutes": TEXT}
        field_classes = {"supervisor": UserChoiceField, "school_administrator": UserChoiceField}

    def __init__(self, data: Any = None, *, review: Review) -> None:
        super().__init__(data, instance=review)
        self.fields["supervisor"].queryset = selectors.chain_of_command(  # type: ignore[attr-defined]
            [review.officer.agency_id])
        self.fields["school_administrator"].queryset = selectors.school_leaders(  # type: ignore[attr-defined]
            review.school)


class ReviewCreateForm(forms.Form):
    """Plan a review by hand (OpenSRO plans one per SRO and school each half-year)."""

    officer = forms.ModelChoiceField(queryset=Officer.objects.none(), label="SRO")
    school = forms.ModelChoiceField(queryset=School.objects.none())
    school_year = forms.ModelChoiceField(queryset=SchoolYear.objects.all())
    half = forms.ChoiceField(choices=Half.choices, label="Half-year")
    meeting_on = forms.DateField(required=False, widget=DATE, label="Meeting date")
    location = forms.CharField(required=False, max_length=200)

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = selectors.officers_for(user)  # type: ignore[attr-defined]
        self.fields["school"].queryset = restrict(School.objects.all(), user, VIEW)  # type: ignore[attr-defined]


class ReviewCompleteForm(forms.Form):
    meeting_on = forms.DateField(widget=DATE, label="Meeting date", required=False)
    attendees = forms.CharField(max_length=300, required=False,
                                help_text="Everyone present, as names.")
    minutes = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False,
                              help_text="What was reviewed, what went well, what is to "
                                        "improve (skills from training, alternatives to "
                                        "arrest).")


class FollowUpForm(forms.Form):
    action = forms.CharField(max_length=300, required=False, label="Follow-up action")
    owner = forms.CharField(max_length=120, required=False, label="Who")
    due_date = forms.DateField(required=False, widget=DATE, label="By")


FollowUpFormSet = formset_factory(FollowUpForm, extra=3)


class SchoolInputForm(forms.Form):
    school_input = forms.CharField(
        widget=TEXT, required=False, label="The school's input",
        help_text="Incidents the school wants to discuss, concerns, what works well.")


class CancelForm(forms.Form):
    cancel_reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                    label="Why will the review not take place?")


# --------------------------------------------------------------------------- evaluations


class EvaluationCreateForm(forms.Form):
    officer = forms.ModelChoiceField(queryset=Officer.objects.none(), label="SRO")
    instrument = forms.ModelChoiceField(queryset=RatingInstrument.objects.none(),
                                        label="Rating instrument")
    period_start = forms.DateField(widget=DATE, label="Period from")
    period_end = forms.DateField(widget=DATE, label="Period to")
    evaluator = UserChoiceField(queryset=User.objects.none(), required=False,
                                help_text="A supervisor in the SRO's agency; you, if empty.")

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        officers = selectors.officers_for(user)
        self.fields["officer"].queryset = officers  # type: ignore[attr-defined]
        self.fields["instrument"].queryset = selectors.instruments_for(user).filter(  # type: ignore[attr-defined]
            active=True)
        self.fields["evaluator"].queryset = selectors.chain_of_command(  # type: ignore[attr-defined]
            set(officers.values_list("agency_id", flat=True)))


class EvaluationEditForm(forms.Form):
    """The summary texts and, per criterion, a score or "not observed" and a comment."""

    summary = forms.CharField(widget=TEXT, required=False)
    strengths = forms.CharField(widget=TEXT, required=False)
    development_goals = forms.CharField(widget=TEXT, required=False,
                                        label="Goals and development plan")

    def __init__(self, data: Any = None, *, evaluation: Evaluation) -> None:
        initial: dict[str, Any] = {"summary": evaluation.summary, "strengths": evaluation.strengths,
                   "development_goals": evaluation.development_goals}
        self.rows = list(evaluation.ratings.select_related("criterion").order_by(
            "criterion__sort_order", "id"))
        for rating in self.rows:
            cid = rating.criterion_id
            initial[f"score_{cid}"] = rating.score or ""
            initial[f"not_observed_{cid}"] = rating.not_observed
            initial[f"comment_{cid}"] = rating.comment
        super().__init__(data, initial=initial)
        for rating in self.rows:
            cid = rating.criterion_id
            self.fields[f"score_{cid}"] = forms.ChoiceField(
                required=False, label="Score",
                choices=[("", "Not rated yet"), *Score.choices])
            self.fields[f"not_observed_{cid}"] = forms.BooleanField(
                required=False, label="Not observed in this period")
            self.fields[f"comment_{cid}"] = forms.CharField(
                required=False, label="Comment", widget=forms.Textarea(attrs={"rows": 2}))

    def criteria(self) -> list[dict[str, Any]]:
        return [{"criterion": r.criterion, "score": self[f"score_{r.criterion_id}"],
                 "not_observed": self[f"not_observed_{r.criterion_id}"],
                 "comment": self[f"comment_{r.criterion_id}"]} for r in self.rows]

    def ratings(self) -> dict[int, dict[str, Any]]:
        data = self.cleaned_data
        return {r.criterion_id: {"score": data.get(f"score_{r.criterion_id}"),
                                 "not_observed": data.get(f"not_observed_{r.criterion_id}"),
                                 "comment": data.get(f"comment_{r.criterion_id}")}
                for r in self.rows}


class InputForm(forms.ModelForm[EvaluationInput]):
    class Meta:
        model = EvaluationInput
        fields = ["works_well", "concerns"]
        widgets = {"works_well": TEXT, "concerns": TEXT}


class InputRequestForm(forms.Form):
    school = forms.ModelChoiceField(queryset=School.objects.none())

    def __init__(self, user: Any, evaluation: Evaluation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = restrict(School.objects.filter(  # type: ignore[attr-defined]
            district__in=evaluation.officer.agency.districts_served.all()), user, VIEW)


# --------------------------------------------------------------------------- instruments


class InstrumentCopyForm(forms.Form):
    name = forms.CharField(max_length=200, required=False,
                           help_text="Your agency's name for its adapted instrument.")
    agency = forms.ModelChoiceField(queryset=Agency.objects.none())

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = restrict(Agency.objects.all(), user, "change")  # type: ignore[attr-defined]


class InstrumentForm(forms.ModelForm[RatingInstrument]):
    class Meta:
        model = RatingInstrument
        fields = ["name", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class CriterionForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    code = forms.SlugField(max_length=40, required=False)
    label = forms.CharField(max_length=120, required=False)
    guidance = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    requirement = forms.CharField(max_length=40, required=False)
    sort_order = forms.IntegerField(min_value=0, required=False, label="Order")


CriterionFormSet = formset_factory(CriterionForm, extra=2, can_delete=True)
