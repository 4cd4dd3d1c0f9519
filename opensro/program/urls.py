from django.urls import URLPattern, URLResolver, path

from opensro.core.crud import urls_for
from opensro.program import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("mous/", views.mou_list, name="mou-list"),
    path("mous/new/", views.mou_form, name="mou-create"),
    path("mous/<int:pk>/", views.mou_detail, name="mou-detail"),
    path("mous/<int:pk>/edit/", views.mou_form, name="mou-edit"),
    path("mous/<int:pk>/checklist/", views.mou_checklist, name="mou-checklist"),
    path("mous/<int:pk>/document/", views.mou_document, name="mou-document"),
    path("mous/<int:pk>/reviews/new/", views.review_create, name="mou-review-create"),
    path("reviews/", views.review_list, name="mou-review-list"),
    path("reviews/<int:pk>/", views.review_detail, name="mou-review-detail"),
    path("reviews/<int:pk>/edit/", views.review_edit, name="mou-review-edit"),
    path("public/mous/<int:pk>/document/", views.mou_public_document,
         name="mou-public-document"),
    path("compliance/", views.compliance, name="program-compliance"),
    path("staffing/", views.staffing, name="program-staffing"),
]
for _resource in views.RESOURCES:
    urlpatterns += urls_for(_resource)
