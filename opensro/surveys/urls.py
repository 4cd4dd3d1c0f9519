from django.urls import URLPattern, URLResolver, path

from opensro.surveys import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("windows/", views.windows_list, name="survey-windows-list"),
    path("windows/new/", views.window_create, name="survey-windows-create"),
    path("windows/<int:pk>/", views.window_detail, name="survey-windows-detail"),
    path("windows/<int:pk>/edit/", views.window_edit, name="survey-windows-edit"),
    path("windows/<int:pk>/delete/", views.window_delete, name="survey-windows-delete"),
    path("windows/<int:pk>/links/<str:group>/qr.svg", views.link_qr, {"fmt": "svg"},
         name="survey-link-qr-svg"),
    path("windows/<int:pk>/links/<str:group>/qr.png", views.link_qr, {"fmt": "png"},
         name="survey-link-qr-png"),
    path("windows/<int:pk>/links/<str:group>/renew/", views.link_renew,
         name="survey-link-renew"),
    path("questionnaires/", views.questionnaire_list, name="survey-questionnaires-list"),
    path("questionnaires/<int:pk>/", views.questionnaire_detail,
         name="survey-questionnaires-detail"),
    path("results/", views.results, name="survey-results"),
    # Public: no sign-in.
    path("s/<str:token>/", views.respond, name="survey-respond"),
    path("s/<str:token>/thanks/", views.thanks, name="survey-thanks"),
]
