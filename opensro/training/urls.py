from django.urls import URLPattern, URLResolver, path

from opensro.core.crud import urls_for
from opensro.training import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="training-home"),
    path("compliance/", views.agency_compliance, name="training-compliance"),
    path("officers/<int:pk>/", views.officer_page, name="training-officer"),
    path("records/import/", views.import_records, name="training-import"),
    path("profiles/", views.profile_list, name="training-profiles"),
    path("profiles/new/", views.profile_form, name="training-profile-create"),
    path("profiles/<int:pk>/", views.profile_detail, name="training-profile"),
    path("profiles/<int:pk>/edit/", views.profile_form, name="training-profile-edit"),
    path("profiles/<int:pk>/copy/", views.profile_copy, name="training-profile-copy"),
    path("profiles/<int:profile_pk>/rules/new/", views.rule_form, name="training-rule-create"),
    path("rules/<int:pk>/", views.rule_detail, name="training-rule"),
    path("rules/<int:pk>/edit/", views.rule_form, name="training-rule-edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="training-rule-delete"),
]
for _kind, _prefix in ((views.OFFICER_RECORDS, "records"),
                       (views.ADMIN_RECORDS, "administrator-records")):
    _s = _kind.slug
    urlpatterns += [
        path(f"{_prefix}/", views.record_list(_kind), name=f"{_s}s"),
        path(f"{_prefix}/new/", views.record_form(_kind, editing=False), name=f"{_s}-create"),
        path(f"{_prefix}/<int:pk>/", views.record_detail(_kind), name=f"{_s}-detail"),
        path(f"{_prefix}/<int:pk>/edit/", views.record_form(_kind, editing=True),
             name=f"{_s}-edit"),
        path(f"{_prefix}/<int:pk>/delete/", views.record_delete(_kind), name=f"{_s}-delete"),
        path(f"{_prefix}/<int:pk>/certificate/", views.record_certificate(_kind),
             name=f"{_s}-certificate"),
    ]
for _resource in views.RESOURCES:
    urlpatterns += urls_for(_resource)
