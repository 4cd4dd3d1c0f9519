"""Seed the catalog of MOU elements: the COPS Office minimum content (required, GP 2,
R-C1, R-C3) and NASRO's topics (recommended, R-C2).

A system administrator may add local elements or change which are required later;
codes stay stable because checklists refer to them.
"""

from django.db import migrations

from opensro.program.catalog import COPS, NASRO, seed_elements


def seed(apps, schema_editor):
    seed_elements(apps.get_model("program", "MouElement"))


def unseed(apps, schema_editor):
    MouElement = apps.get_model("program", "MouElement")
    MouElement.objects.filter(code__in=[c for c, _l, _d in COPS + NASRO]).delete()


class Migration(migrations.Migration):
    dependencies = [("program", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
