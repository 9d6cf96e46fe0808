"""The app's pages, plus Django's admin on admin/ (the benchmark's reference point only)."""

from django.urls import include, path

from bench.admin import site

urlpatterns = [
    path("admin/", site.urls),
    path("", include("safeguard.urls")),
]
