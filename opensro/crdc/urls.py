from django.urls import URLPattern, URLResolver, path

from opensro.crdc import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="crdc-index"),
    path("uploads/", views.upload_list, name="crdc-upload-list"),
    path("uploads/new/", views.upload_create, name="crdc-upload-create"),
    path("uploads/<int:pk>/", views.upload_detail, name="crdc-upload-detail"),
    path("<str:lea>/<str:year>/", views.counts, name="crdc-counts"),
    path("<str:lea>/<str:year>/export.csv", views.export_csv, name="crdc-export-csv"),
]
