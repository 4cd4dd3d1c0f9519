from django.urls import path

from opensro.core import flag_views, views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("account/tokens/", views.token_list, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("flags/", flag_views.flag_list, name="flag-list"),
    path("flags/<int:pk>/", flag_views.flag_detail, name="flag-detail"),
    path("flags/<int:pk>/decide/", flag_views.flag_decide, name="flag-decide"),
]
