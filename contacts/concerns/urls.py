from django.urls import path

from contacts.concerns import views

urlpatterns = [
    path("concerns/", views.concern_list, name="concern_list"),
    path("concerns/new/", views.concern_new, name="concern_new"),
    path("concerns/<int:pk>/", views.concern_detail, name="concern_detail"),
    path("concerns/<int:pk>/respond/", views.concern_respond, name="concern_respond"),
    path("concerns/about/<int:staff_pk>/", views.concern_subject, name="concern_subject"),
    path("lado/", views.lado_list, name="lado_list"),
    path("lado/new/", views.lado_new, name="lado_new"),
    path("lado/<int:pk>/", views.lado_detail, name="lado_detail"),
    path("lado/<int:pk>/outcome/", views.lado_outcome, name="lado_outcome"),
]
