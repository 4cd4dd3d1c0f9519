from django.urls import URLPattern, URLResolver

from opensro.selection import views

urlpatterns: list[URLPattern | URLResolver] = views.urlpatterns()
