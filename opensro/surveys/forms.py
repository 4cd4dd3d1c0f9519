"""Survey forms. They only shape input; the rules live in ``services.py``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from opensro.surveys.choices import DONT_KNOW, Agreement, RespondentGroup
from opensro.surveys.models import Campaign, Question

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampaignForm(forms.ModelForm[Campaign]):
    """Set up or change a survey window. On an existing window the school is fixed."""

    groups = forms.MultipleChoiceField(
        label=_("Respondent groups"), choices=RespondentGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each group gets its own link and QR code."),
        error_messages={"required": _("Choose at least one respondent group.")})

    class Meta:
        model = Campaign
        fields = ["school", "name", "opens_on", "closes_on", "groups"]
        widgets = {"opens_on": DATE, "closes_on": DATE}

    def __init__(self, *args: Any, schools: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        school = self.fields["school"]
        if schools is not None:
            school.queryset = schools  # type: ignore[attr-defined]
        if self.instance.pk:
            school.disabled = True
            school.help_text = _("A window stays at its school.")
        if not self.is_bound and self.instance.pk is None:
            self.initial.setdefault("groups", [g.value for g in RespondentGroup])


class LinkRenewForm(forms.Form):
    reason = forms.CharField(
        label=_("Why a new link?"), max_length=200, required=False,
        help_text=_("For example: the link was posted in the wrong place."))


class DeleteForm(forms.Form):
    reason = forms.CharField(label=_("Why delete this window?"), max_length=300)


def answer_choices() -> list[tuple[str, Any]]:
    return [(str(value), label) for value, label in Agreement.choices] + [
        (DONT_KNOW, _("Don't know"))]


class AnswerField(forms.ChoiceField):
    """A radio group whose value the service checks (``validate_answers``)."""

    def validate(self, value: Any) -> None:
        return None


class ResponseForm(forms.Form):
    """The public questionnaire: one radio group per question (no JavaScript needed).
    Completeness is checked by the service (``validate_answers``), so that the web page
    and any other channel share one rule; this form only carries the values back."""

    def __init__(self, questions: list[Question], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q{question.pk}"] = AnswerField(
                label=question.text, choices=answer_choices(), required=False,
                widget=forms.RadioSelect)

    def rows(self) -> list[dict[str, Any]]:
        """Each question with its bound field, number and errors, for the template."""
        return [{"number": n, "question": q, "field": self[f"q{q.pk}"]}
                for n, q in enumerate(self.questions, start=1)]
