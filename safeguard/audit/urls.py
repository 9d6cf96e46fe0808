from django.urls import path

from safeguard.audit import views

urlpatterns = [
    path("audit/", views.audit_trail, name="audit_trail"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/check/", views.audit_check, name="audit_check"),
    path("audit/checkpoint/", views.audit_checkpoint_check, name="audit_checkpoint_check"),
    path("audit/key/", views.audit_public_key, name="audit_public_key"),
]
