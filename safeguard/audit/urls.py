from django.urls import path

from safeguard.audit import views

urlpatterns = [
    path("audit/", views.audit_trail, name="audit_trail"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/check/", views.audit_check, name="audit_check"),
]
