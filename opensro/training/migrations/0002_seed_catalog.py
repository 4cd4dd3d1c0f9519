"""Seed the course catalog (R-G1…R-G3) and the COPS and NASRO policy profiles (R-G1,
R-G2). Administrators add courses and adapt copies of the profiles later; the codes and
the built-in profiles stay as seeded.
"""

from django.db import migrations

from opensro.training.catalog import COURSES, PROFILES, TOPICS, seed as seed_catalog


def seed(apps, schema_editor):
    seed_catalog(apps.get_model("training", "Course"), apps.get_model("training", "PolicyProfile"),
                 apps.get_model("training", "RequirementRule"))


def unseed(apps, schema_editor):
    PolicyProfile = apps.get_model("training", "PolicyProfile")
    Course = apps.get_model("training", "Course")
    PolicyProfile.objects.filter(name__in=[p["name"] for p in PROFILES], built_in=True).delete()
    codes = [c[0] for c in COURSES] + [f"topic_{c}" for c, _ in TOPICS]
    Course.objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
