"""Every page of the contacts app, by subject."""

from django.urls import include, path

urlpatterns = [
    path("", include("contacts.people.urls")),
    path("", include("contacts.files.urls")),
    path("", include("contacts.patterns.urls")),
    path("", include("contacts.planned.urls")),
    path("", include("contacts.notifications.urls")),
    path("", include("contacts.records.urls")),
    path("", include("contacts.concerns.urls")),
    path("", include("contacts.alerts.urls")),
    path("", include("contacts.privacy.urls")),
]
