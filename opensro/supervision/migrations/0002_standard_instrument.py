"""Seed the standard SRO rating instrument (R-F1); agencies copy and adapt it."""

from django.db import migrations


def seed(apps, schema_editor):
    from opensro.supervision.instrument import seed_standard_instrument

    seed_standard_instrument(apps.get_model("supervision", "RatingInstrument"),
                             apps.get_model("supervision", "RatingCriterion"))


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
