from django.urls import path

from opensro.core.crud import urls_for
from opensro.incidents import views

urlpatterns = [
    path("", views.incident_list, name="incident-list"),
    path("new/", views.incident_form, name="incident-create"),
    path("autosave/", views.autosave, name="incident-autosave"),
    path("export.csv", views.incident_export, name="incident-export"),
    path("review/", views.review_queue, name="incident-review-queue"),
    path("<int:pk>/", views.incident_detail, name="incident-detail"),
    path("<int:pk>/edit/", views.incident_form, name="incident-edit"),
    path("<int:pk>/submit/", views.incident_submit, name="incident-submit"),
    path("<int:pk>/review/", views.incident_review, name="incident-review"),
    *urls_for(views.ACTIVITIES),
]
