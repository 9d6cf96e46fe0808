from django.urls import path

from contacts.files import views

urlpatterns = [
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("pupils/<int:pk>/", views.pupil_detail, name="pupil_detail"),
    path("staff/<int:pk>/print/", views.staff_print, name="staff_print"),
    path("pupils/<int:pk>/print/", views.pupil_print, name="pupil_print"),
]
