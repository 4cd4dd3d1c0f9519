"""URL map: pages, the API under /api/, and the administration site."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from opensro import views
from opensro.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(),
         name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("directory/", include("opensro.directory.urls")),
    path("incidents/", include("opensro.incidents.urls")),
    path("analytics/", include("opensro.analytics.urls")),
    path("program/", include("opensro.program.urls")),
    path("training/", include("opensro.training.urls")),
    path("selection/", include("opensro.selection.urls")),
    path("supervision/", include("opensro.supervision.urls")),
    path("surveys/", include("opensro.surveys.urls")),
    path("public/", include("opensro.transparency.urls")),
    path("crdc/", include("opensro.crdc.urls")),
    path("", include("opensro.core.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    # The language switch only sets a preference cookie; it takes no CSRF token so that
    # public pages carry nothing per visitor and can be served from the cache
    # (docs/decisions/0007-portal-fast-path.md).
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
]
