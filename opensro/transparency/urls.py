"""The public portal under /public/ (no sign-in) and the releases page for administrators."""

from django.urls import URLPattern, URLResolver, path

from opensro.transparency import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="portal-home"),
    path("about-sros/", views.about, name="portal-about"),
    path("data/", views.data, name="portal-data"),
    path("data/dictionary/", views.dictionary, name="portal-dictionary"),
    path("data/dictionary.json", views.dictionary_json, name="portal-dictionary-json"),
    path("data/<str:kind>/<int:pk>/<str:year>.<str:fmt>", views.download,
         name="portal-download"),
    path("releases/", views.runs, name="transparency-runs"),
    path("releases/publish/", views.publish_now, name="transparency-publish"),
    path("releases/<int:pk>/", views.run_detail, name="transparency-run-detail"),
    path("<str:kind>/<int:pk>/", views.scope, name="portal-scope"),
    path("<str:kind>/<int:pk>/<str:name>.svg", views.chart, name="portal-chart"),
]
