from django.urls import path

from contacts.patterns import views

urlpatterns = [
    path("staff/<int:pk>/pattern/", views.staff_pattern, name="staff_pattern"),
]
