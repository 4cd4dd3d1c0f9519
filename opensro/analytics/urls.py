from django.urls import path

from opensro.analytics import views

urlpatterns = [
    path("disparity/", views.disparity, name="disparity"),
]
