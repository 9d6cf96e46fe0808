from django.urls import path

from contacts.files import views

urlpatterns = [
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("pupils/<int:pk>/", views.pupil_detail, name="pupil_detail"),
]
