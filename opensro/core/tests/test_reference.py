"""Reference data comes back after ``flush`` (``opensro demo --reset``, transactional
tests): the seeds registered with ``opensro.core.reference`` run on ``post_migrate``."""

from __future__ import annotations

import pytest
from django.core.management.sql import emit_post_migrate_signal

from opensro.incidents.models import IncidentReason
from opensro.program.models import MouElement
from opensro.supervision.models import RatingCriterion, RatingInstrument
from opensro.surveys.models import Question, Questionnaire
from opensro.training.models import Course, PolicyProfile, RequirementRule

SEEDED = (IncidentReason, MouElement, Course, PolicyProfile, RequirementRule,
          Questionnaire, Question, RatingInstrument, RatingCriterion)


@pytest.mark.django_db
def test_post_migrate_restores_every_seeded_catalog_exactly() -> None:
    before = {m: m.objects.count() for m in SEEDED}
    assert all(before.values()), before  # the data migrations seeded them
    RequirementRule.objects.all().delete()
    PolicyProfile.objects.all().delete()
    for model in (IncidentReason, MouElement, Course, Question, Questionnaire,
                  RatingCriterion, RatingInstrument):
        model.objects.all().delete()
    assert not any(m.objects.exists() for m in SEEDED)

    emit_post_migrate_signal(0, False, "default")

    assert {m: m.objects.count() for m in SEEDED} == before


@pytest.mark.django_db
def test_reseeding_twice_adds_nothing() -> None:
    before = {m: m.objects.count() for m in SEEDED}
    emit_post_migrate_signal(0, False, "default")
    emit_post_migrate_signal(0, False, "default")
    assert {m: m.objects.count() for m in SEEDED} == before
