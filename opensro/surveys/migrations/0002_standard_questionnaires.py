"""Seed the standard questionnaires for students, families and staff, in English and
Spanish (R-E4, R-F2). Their wording changes only through a new version (a new
questionnaire), so that results stay comparable from year to year.
"""

from django.db import migrations

from opensro.surveys.questionnaires import seed_questionnaires, unseed_questionnaires


def seed(apps, schema_editor):
    seed_questionnaires(apps.get_model("surveys", "Questionnaire"),
                        apps.get_model("surveys", "Question"))


def unseed(apps, schema_editor):
    unseed_questionnaires(apps.get_model("surveys", "Questionnaire"))


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
