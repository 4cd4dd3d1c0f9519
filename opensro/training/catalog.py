"""The seeded course catalog and the two published policy profiles (R-G1…R-G3).

A data migration calls :func:`seed`; tests that flush the database call it again (it only
adds what is missing). Codes are stable: requirement rules and CSV imports refer to them.
Administrators may add courses and adapt copies of the profiles; the seeded profiles are
marked built in and stay as published.
"""

from __future__ import annotations

from typing import Any

# code, name, kind, nominal hours (None: varies), source, description
COURSES: list[tuple[str, str, str, int | None, str, str]] = [
    ("basic_sro", "Basic SRO course (40 hours)", "basic", 40, "COPS; NASRO",
     "The basic course on the roles and responsibilities of a school resource officer, "
     "with 40 hours of curriculum (R-G1)."),
    ("advanced_sro", "Advanced SRO course", "advanced", None, "NASRO",
     "The advanced course, about a year after the basic course (R-G2)."),
    ("adolescent_mental_health", "Adolescent mental health", "specialized", None, "NASRO",
     "Recognising and responding to youth in mental-health crisis (R-G2)."),
    ("school_cpted", "School CPTED (crime prevention through environmental design)",
     "specialized", None, "NASRO",
     "Assessing and improving school buildings and grounds (R-G2)."),
    ("sro_management", "SRO program management (supervisors' course)", "management", None,
     "NASRO",
     "For the agency supervisor and the district administrator, before the program "
     "starts (R-G2)."),
    ("intro_sro_programs", "An Introduction to SRO Programs (leadership)", "management", None,
     "COPS",
     "Leadership training on SRO programs, such as the COPS Training Portal virtual "
     "course (GP 6, R-G2)."),
    ("rapid_deployment", "Single-officer rapid deployment", "tactical", None, "NASRO",
     "Ongoing training for a lone officer's response to an active threat (R-G2)."),
    ("annual_conference", "State or regional SRO conference", "conference", None, "NASRO",
     "The yearly state or regional conference for SROs (R-G2)."),
]

# The COPS Office's recommended training topics (GP 8, R-G3): code suffix, name.
TOPICS: list[tuple[str, str]] = [
    ("role_limits", "Parameters and limits of the SRO's role (discipline versus safety)"),
    ("mental_health_referral", "When to call mental-health professionals"),
    ("civil_rights", "Constitutional and civil rights, nondiscrimination"),
    ("incident_reporting", "Incident reporting and data collection"),
    ("procedural_justice", "Procedural justice"),
    ("mtss_pbis", "Multitiered systems of support (PBIS or other)"),
    ("community_policing_sara", "Community policing and the SARA problem-solving model"),
    ("deescalation", "De-escalation and conflict resolution"),
    ("adolescent_development", "Child and adolescent development, including brain "
                               "development"),
    ("dating_violence", "Teen dating violence and sexual assault"),
    ("ferpa", "Family Educational Rights and Privacy Act (FERPA)"),
    ("student_groups", "Working with specific student groups"),
    ("bias_free_policing", "Bias-free policing, implicit bias and cultural competence"),
    ("alternatives_to_arrest", "Alternatives to arrest, including diversion programs"),
    ("trauma_informed", "Trauma-informed practices"),
    ("bullying_prevention", "Bullying prevention"),
    ("drugs_alcohol", "Drug and alcohol use education"),
    ("social_media", "Social media use"),
    ("emergency_management", "Emergency management"),
    ("cpted", "Crime prevention through environmental design (CPTED)"),
    ("threat_assessment", "School threat assessment"),
    ("active_shooter", "Active shooter training"),
    ("restorative_practices", "Restorative justice and practices"),
    ("classroom_presentation", "Classroom presentation skills"),
]
TOPIC_CODES = [f"topic_{code}" for code, _name in TOPICS]

COPS = "COPS Office guiding principles"
NASRO = "NASRO recommendations"

# name, description, rules. A rule: name, audience flags (sro, supervisor, district
# admin), satisfying course codes, anchor, anchor course, offset amount, offset unit,
# recurrence in months, due-soon window in days (None: the site default), minimum hours.
PROFILES: list[dict[str, Any]] = [
    {
        "name": COPS,
        "description": (
            "The COPS Office's Guiding Principles for School Resource Officer Programs "
            "(2022): a 40-hour basic SRO course no later than nine months after placement "
            "(GP 8, R-G1); leadership training on SRO programs for supervisors (GP 6, R-G2); "
            "and a regular schedule of training on the recommended topics (GP 8, R-G3, "
            "R-G4), read here as one course a year after the basic course."
        ),
        "rules": [
            ("Basic SRO course within nine months of placement", (True, False, False),
             ["basic_sro"], "placement", None, 9, "months", None, None, 40),
            ("Leadership training on SRO programs before the program starts",
             (False, True, False), ["intro_sro_programs", "sro_management"],
             "program_start", None, 0, "days", None, None, None),
            ("A course on a recommended topic every year after the basic course",
             (True, False, False),
             [*TOPIC_CODES, "advanced_sro", "adolescent_mental_health", "school_cpted"],
             "course_completion", "basic_sro", 12, "months", 12, None, None),
        ],
    },
    {
        "name": NASRO,
        "description": (
            "NASRO's School Resource Officer Program Recommendations: the basic course "
            "before assignment or within one year (R-G1); about a year after the basic "
            "course, the advanced course, adolescent mental health and school CPTED; "
            "single-officer rapid deployment on a recurring basis; a state or regional "
            "conference each year; and the management course for the agency supervisor "
            "and the district administrator before the program starts (R-G2)."
        ),
        "rules": [
            ("Basic SRO course before assignment (at the latest one year after it)",
             (True, False, False), ["basic_sro"], "before_assignment", None, 12, "months",
             None, None, 40),
            ("Advanced SRO course about a year after the basic course", (True, False, False),
             ["advanced_sro"], "course_completion", "basic_sro", 12, "months", None, None,
             None),
            ("Adolescent mental health about a year after the basic course",
             (True, False, False), ["adolescent_mental_health"], "course_completion",
             "basic_sro", 12, "months", None, None, None),
            ("School CPTED about a year after the basic course", (True, False, False),
             ["school_cpted", "topic_cpted"], "course_completion", "basic_sro", 12, "months",
             None, None, None),
            ("Single-officer rapid deployment every year", (True, False, False),
             ["rapid_deployment"], "placement", None, 12, "months", 12, None, None),
            ("A state or regional SRO conference each year", (True, False, False),
             ["annual_conference"], "placement", None, 12, "months", 12, None, None),
            ("SRO management course before the program starts", (False, True, True),
             ["sro_management"], "program_start", None, 0, "days", None, None, None),
        ],
    },
]


def seed(course_model: Any, profile_model: Any, rule_model: Any) -> None:
    """Create the seeded courses and profiles that are missing (models may be a
    migration's historical ones)."""
    for n, (code, name, kind, hours, source, description) in enumerate(COURSES):
        course_model.objects.get_or_create(code=code, defaults={
            "name": name, "kind": kind, "nominal_hours": hours, "source": source,
            "description": description, "recommended_topic": False, "sort_order": n * 10})
    for n, (code, name) in enumerate(TOPICS):
        course_model.objects.get_or_create(code=f"topic_{code}", defaults={
            "name": name, "kind": "topic", "nominal_hours": None, "source": "COPS",
            "description": "A topic the COPS Office recommends for SRO training (GP 8, R-G3).",
            "recommended_topic": True, "sort_order": 1000 + n * 10})
    courses = {c.code: c for c in course_model.objects.all()}
    for spec in PROFILES:
        profile, created = profile_model.objects.get_or_create(
            name=spec["name"], defaults={"description": spec["description"],
                                         "built_in": True})
        if not created:
            continue
        for n, (name, (sro, sup, dadmin), codes, anchor, anchor_code, amount, unit, every,
                window, hours) in enumerate(spec["rules"]):
            rule = rule_model.objects.create(
                profile=profile, name=name, sort_order=n * 10, for_sros=sro,
                for_supervisors=sup, for_district_admins=dadmin, anchor=anchor,
                anchor_course=courses[anchor_code] if anchor_code else None,
                offset_amount=amount, offset_unit=unit, recurrence_months=every,
                due_soon_days=window, min_hours=hours)
            rule.courses.set([courses[c] for c in codes])
