"""The catalog of MOU elements: reference data seeded by a data migration.

COPS minimum content (GP 2; R-C1, R-C3) is *required*: an executed MOU that lacks one
of these raises a flag. NASRO's topics (R-C2) are recommended: the checklist shows
which are covered, but a missing one raises no flag. A system administrator may add
local elements or change which are required.
"""

from __future__ import annotations

from typing import Any

# code, label, description
COPS: list[tuple[str, str, str]] = [
    ("cops_duties_mission", "SRO duties and program mission",
     "Documents the SRO duties and the mission of the program (GP 2)."),
    ("cops_partner_roles", "Partner roles and responsibilities",
     "Identifies the roles and responsibilities of the agency, the district and the "
     "schools (GP 2)."),
    ("cops_no_discipline", "No SRO involvement in school discipline",
     "Prohibits SROs from engaging in school disciplinary incidents, enforcing school "
     "codes of conduct or addressing typical student behavior that school officials can "
     "handle safely (GP 2, GP 3)."),
    ("cops_reporting", "Reporting and data collection",
     "Defines reporting and data-collection requirements (GP 2, GP 7)."),
    ("cops_annual_assessment", "Annual assessment of SROs",
     "Requires an annual assessment of the SROs (GP 2, GP 10)."),
    ("cops_training", "Training, including nondiscrimination",
     "Provides for effective training on school-related topics, including "
     "nondiscrimination and serving diverse students and communities (GP 2, GP 8)."),
    ("cops_supervision", "Supervision of the SROs named",
     "Outlines the supervision of the SROs named in the MOU (GP 2, GP 6)."),
    ("cops_feedback", "Feedback to the district on SRO activity",
     "Includes a way for the school district to receive feedback on SROs' activities and "
     "actions (GP 2, R-C3)."),
]

NASRO: list[tuple[str, str, str]] = [
    ("nasro_discipline_roles", "Discipline roles",
     "Who handles school discipline (school staff) and what the SRO does not do."),
    ("nasro_triad", "The triad of SRO roles",
     "Law-enforcement officer, public-safety educator and informal counselor/mentor."),
    ("nasro_enforcement_decision", "Enforcement decisions rest with the SRO",
     "The SRO alone decides whether to take law-enforcement action."),
    ("nasro_chain_of_command", "Chain of command",
     "The SRO reports to the agency's chain of command, not to school administrators."),
    ("nasro_uniform", "Uniform", "What the SRO wears on campus."),
    ("nasro_weapons_storage", "Weapons and long-gun storage",
     "Storage of weapons and long guns: access limited to the SRO and the agency; the safe "
     "code given to dispatch."),
    ("nasro_less_lethal", "Less-lethal tools", "Which less-lethal tools the SRO carries."),
    ("nasro_information_sharing", "Information sharing",
     "Access to school cameras, body-worn cameras and student databases, within FERPA."),
    ("nasro_documentation", "Documentation and reporting",
     "What the SRO documents and to whom it is reported."),
    ("nasro_expenses", "Expenses", "Who pays for what (salary, equipment, training)."),
    ("nasro_office_space", "Office space", "The SRO's office on campus."),
    ("nasro_hours", "Hours on campus", "When the SRO is on campus."),
    ("nasro_daily_duties", "Day-to-day duties", "What the SRO does on a typical day."),
    ("nasro_extracurricular", "Extracurricular activities",
     "The SRO's part in events and activities outside the school day."),
]


def seed_elements(model: Any) -> None:
    """Create the catalog elements that are missing (``model`` may be a migration's)."""
    order = 0
    for source, rows, required in (("cops", COPS, True), ("nasro", NASRO, False)):
        for code, label, description in rows:
            order += 10
            model.objects.get_or_create(code=code, defaults={
                "label": label, "description": description, "source": source,
                "required": required, "sort_order": order, "active": True,
            })
