from django.urls import path

from opensro.core import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("account/tokens/", views.token_list, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
