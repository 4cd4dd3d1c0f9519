"""Seed the maintained taxonomy of reasons for SRO involvement (R-D2).

Administrators may add, relabel or retire reasons later (Django admin); codes stay
stable because records and imports refer to them.
"""

from django.db import migrations

from opensro.incidents.taxonomy import CONDUCT, SAFETY, seed_reasons

def seed(apps, schema_editor):
    seed_reasons(apps.get_model("incidents", "IncidentReason"))


def unseed(apps, schema_editor):
    IncidentReason = apps.get_model("incidents", "IncidentReason")
    IncidentReason.objects.filter(code__in=[c for c, _ in CONDUCT + SAFETY]).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
