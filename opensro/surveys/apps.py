from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "opensro.surveys"

    def ready(self) -> None:
        from opensro.core.flags import register_due_source
        from opensro.surveys.due import closing_windows

        register_due_source(closing_windows)
        from opensro.core.reference import register_seed
        from opensro.surveys.questionnaires import seed_questionnaires

        register_seed("surveys", lambda a: seed_questionnaires(
            a.get_model("surveys", "Questionnaire"), a.get_model("surveys", "Question")))
