from django.urls import path

from opensro.core.crud import urls_for
from opensro.directory import views

urlpatterns = [
    path("enrollment/import/", views.enrollment_upload, name="enrollment-import"),
]
for _resource in views.RESOURCES:
    urlpatterns += urls_for(_resource)
