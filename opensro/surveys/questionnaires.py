"""The standard questionnaires, one per respondent group, in English and Spanish
(R-E4: perceptions of school safety and SRO fairness; R-F2: input from students,
families and staff).

Items share a code across groups so that results line up: students, families and
staff are asked the same thing in their own words. Every item is rated on the same
five-point agreement scale, with "Don't know" for people who cannot say. There is no
free text: a comment box invites names and details, and its words could identify the
person who wrote them.

The data migration ``0002_standard_questionnaires`` calls :func:`seed_questionnaires`;
tests call it too (a transactional test empties the tables it finds).
"""

from __future__ import annotations

from typing import Any

ALL = ("student", "family", "staff")
SRO_EN = "The school resource officer (SRO)"
SRO_ES = "El oficial de recursos escolares (SRO)"

#: code, topic, (label en, label es), {group: (text en, text es)}
ITEMS: list[tuple[str, str, tuple[str, str], dict[str, tuple[str, str]]]] = [
    ("safe_school", "safety", ("Feels safe at school", "Se siente seguro en la escuela"), {
        "student": ("I feel safe at school.", "Me siento seguro o segura en la escuela."),
        "family": ("My child feels safe at school.",
                   "Mi hijo o hija se siente seguro en la escuela."),
        "staff": ("I feel safe at this school.", "Me siento seguro o segura en esta escuela."),
    }),
    ("trusted_adult", "safety", ("Has an adult to turn to", "Tiene un adulto de confianza"), {
        "student": ("There is an adult at school I can go to if I have a problem.",
                    "Hay un adulto en la escuela al que puedo acudir si tengo un problema."),
        "family": ("My child has an adult at school to go to with a problem.",
                   "Mi hijo o hija tiene un adulto en la escuela al que acudir si tiene un "
                   "problema."),
        "staff": ("Students have an adult at school they can go to with a problem.",
                  "Los estudiantes tienen un adulto en la escuela al que pueden acudir si "
                  "tienen un problema."),
    }),
    ("sro_safer", "safety", ("The SRO makes the school safer",
                             "El SRO hace la escuela más segura"), {
        "student": (f"{SRO_EN} helps make my school safer.",
                    f"{SRO_ES} ayuda a que mi escuela sea más segura."),
        "family": (f"{SRO_EN} helps make my child's school safer.",
                   f"{SRO_ES} ayuda a que la escuela de mi hijo o hija sea más segura."),
        "staff": (f"{SRO_EN} helps make this school safer.",
                  f"{SRO_ES} ayuda a que esta escuela sea más segura."),
    }),
    ("sro_respect", "fairness", ("The SRO treats students with respect",
                                 "El SRO trata a los estudiantes con respeto"),
     dict.fromkeys(ALL, (
        "The SRO treats students with respect.",
        "El SRO trata a los estudiantes con respeto."))),
    ("sro_fair", "fairness", ("The SRO treats all students fairly",
                              "El SRO trata a todos los estudiantes con justicia"),
     dict.fromkeys(ALL, (
        "The SRO treats all students fairly, whatever their race, disability, language or "
        "background.",
        "El SRO trata a todos los estudiantes con justicia, sin importar su raza, "
        "discapacidad, idioma u origen."))),
    ("sro_listens", "fairness", ("The SRO listens and explains", "El SRO escucha y explica"),
     dict.fromkeys(ALL, (
        "When the SRO deals with a student, the SRO listens and explains what is happening.",
        "Cuando el SRO trata con un estudiante, lo escucha y le explica lo que está "
        "pasando."))),
    ("sro_approachable", "fairness", ("Comfortable going to the SRO",
                                      "Confianza para acudir al SRO"), {
        "student": ("I would feel comfortable going to the SRO for help.",
                    "Me sentiría cómodo o cómoda pidiendo ayuda al SRO."),
        "family": ("My child would feel comfortable going to the SRO for help.",
                   "Mi hijo o hija se sentiría cómodo pidiendo ayuda al SRO."),
        "staff": ("Students feel comfortable going to the SRO for help.",
                  "Los estudiantes se sienten cómodos pidiendo ayuda al SRO."),
    }),
    # R-D2: code-of-conduct matters belong to school staff, not to the SRO.
    ("sro_not_discipline", "fairness", ("The SRO leaves school rules to staff",
                                        "El SRO deja las reglas escolares al personal"), {
        "student": ("The SRO leaves everyday school rules, like dress code, to teachers and "
                    "staff.",
                    "El SRO deja las reglas escolares del día a día, como el código de "
                    "vestimenta, a los maestros y al personal."),
        "staff": ("The SRO leaves school discipline (such as dress code or classroom "
                  "behavior) to school staff.",
                  "El SRO deja la disciplina escolar (como el código de vestimenta o el "
                  "comportamiento en clase) en manos del personal de la escuela."),
    }),
    # R-H1: a well-publicised way to give feedback on the program.
    ("knows_feedback", "engagement", ("Knows how to give feedback",
                                      "Sabe cómo dar su opinión"), {
        "student": ("I know how to give feedback or make a complaint about the SRO.",
                    "Sé cómo dar mi opinión o presentar una queja sobre el SRO."),
        "family": ("I know how to give feedback or make a complaint about the SRO.",
                   "Sé cómo dar mi opinión o presentar una queja sobre el SRO."),
        "staff": ("I know how to give feedback on the SRO program.",
                  "Sé cómo dar mi opinión sobre el programa de SRO."),
    }),
]

#: group -> code, title (en, es), introduction (en, es)
QUESTIONNAIRES: dict[str, tuple[str, tuple[str, str], tuple[str, str]]] = {
    "student": (
        "student-v1",
        ("Student survey: safety at school and the school resource officer",
         "Encuesta para estudiantes: la seguridad en la escuela y el oficial de recursos "
         "escolares"),
        ("These questions ask how safe you feel at school and how the school resource "
         "officer (SRO) treats students. It takes about three minutes. There are no right "
         "or wrong answers.",
         "Estas preguntas tratan de lo seguro que te sientes en la escuela y de cómo trata "
         "el oficial de recursos escolares (SRO) a los estudiantes. Se tarda unos tres "
         "minutos. No hay respuestas correctas ni incorrectas."),
    ),
    "family": (
        "family-v1",
        ("Family survey: safety at school and the school resource officer",
         "Encuesta para familias: la seguridad en la escuela y el oficial de recursos "
         "escolares"),
        ("These questions ask how safe your child feels at school and how the school "
         "resource officer (SRO) treats students. It takes about three minutes. If you have "
         "more than one child at this school, you may answer once for each child.",
         "Estas preguntas tratan de lo seguro que se siente su hijo o hija en la escuela y "
         "de cómo trata el oficial de recursos escolares (SRO) a los estudiantes. Se tarda "
         "unos tres minutos. Si tiene más de un hijo o hija en esta escuela, puede responder "
         "una vez por cada uno."),
    ),
    "staff": (
        "staff-v1",
        ("Staff survey: safety at school and the school resource officer",
         "Encuesta para el personal: la seguridad en la escuela y el oficial de recursos "
         "escolares"),
        ("These questions ask teachers, administrators and other school staff how safe the "
         "school is and how the school resource officer (SRO) works with students. It takes "
         "about three minutes.",
         "Estas preguntas piden a los maestros, administradores y demás personal de la "
         "escuela su opinión sobre la seguridad de la escuela y sobre cómo trabaja el "
         "oficial de recursos escolares (SRO) con los estudiantes. Se tarda unos tres "
         "minutos."),
    ),
}


def seed_questionnaires(questionnaire_model: Any, question_model: Any) -> None:
    """Create the standard questionnaires and their questions that are missing (the
    models may be a migration's historical ones). Existing rows are left as they are."""
    for group, (code, (title_en, title_es), (intro_en, intro_es)) in QUESTIONNAIRES.items():
        questionnaire, _created = questionnaire_model.objects.get_or_create(
            code=code,
            defaults={"group": group, "version": 1, "title_en": title_en,
                      "title_es": title_es, "intro_en": intro_en, "intro_es": intro_es,
                      "active": not questionnaire_model.objects.filter(
                          group=group, active=True).exists()},
        )
        position = 0
        for item, topic, (label_en, label_es), texts in ITEMS:
            if group not in texts:
                continue
            position += 1
            text_en, text_es = texts[group]
            question_model.objects.get_or_create(
                questionnaire=questionnaire, code=item,
                defaults={"position": position, "topic": topic, "label_en": label_en,
                          "label_es": label_es, "text_en": text_en, "text_es": text_es},
            )


def unseed_questionnaires(questionnaire_model: Any) -> None:
    codes = [code for code, _title, _intro in QUESTIONNAIRES.values()]
    questionnaire_model.objects.filter(code__in=codes).delete()
