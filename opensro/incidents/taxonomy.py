"""The seeded taxonomy of reasons for SRO involvement, each a code-of-conduct matter
or a safety matter (R-D2). Codes are stable; labels may be edited by administrators.
"""

from __future__ import annotations

from typing import Any

CONDUCT = [
    ("profanity", "Profanity or disrespect"),
    ("dress_code", "Dress code"),
    ("defiance", "Defiance or insubordination"),
    ("disruption", "Classroom or school disruption"),
    ("tardiness", "Tardiness or truancy"),
    ("cell_phone", "Cell phone or electronics"),
    ("minor_fight", "Minor altercation with no injury"),
    ("vaping", "Vaping or tobacco"),
    ("skipping_class", "Leaving class without permission"),
    ("minor_theft", "Minor theft (under school policy)"),
    ("bullying_verbal", "Verbal bullying or harassment"),
]
SAFETY = [
    ("weapon", "Weapon on campus"),
    ("assault", "Assault with injury"),
    ("threat_violence", "Threat of violence"),
    ("drugs", "Drug possession or distribution"),
    ("trespass", "Trespass or intruder"),
    ("medical_crisis", "Medical emergency"),
    ("mental_health_crisis", "Mental-health crisis"),
    ("sexual_assault", "Sexual assault or abuse"),
    ("robbery", "Robbery or serious theft"),
    ("vandalism_major", "Serious property damage or arson"),
    ("child_welfare", "Child abuse or neglect report"),
    ("traffic", "Traffic or parking safety"),
]



def seed_reasons(model: Any) -> None:
    """Create the seeded reasons that are missing (``model`` may be a migration's)."""
    for kind, rows in (("conduct", CONDUCT), ("safety", SAFETY)):
        for n, (code, label) in enumerate(rows):
            model.objects.get_or_create(
                code=code, defaults={"label": label, "kind": kind, "sort_order": n * 10}
            )
