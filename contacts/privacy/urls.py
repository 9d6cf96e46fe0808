from django.urls import path

from contacts.privacy import views

urlpatterns = [
    path("retention/holds/", views.legal_holds, name="legal_holds"),
    path("retention/holds/<int:pk>/lift/", views.legal_hold_lift, name="legal_hold_lift"),
    path("retention/reviews/", views.retention_reviews, name="retention_reviews"),
    path("retention/reviews/<int:pk>/", views.retention_review, name="retention_review"),
    path("staff/<int:pk>/subject-access/", views.staff_subject_access, name="staff_subject_access"),
    path(
        "staff/<int:pk>/subject-access/export/",
        views.staff_subject_access_download,
        name="staff_subject_access_download",
    ),
    path(
        "pupils/<int:pk>/subject-access/", views.pupil_subject_access, name="pupil_subject_access"
    ),
    path(
        "pupils/<int:pk>/subject-access/export/",
        views.pupil_subject_access_download,
        name="pupil_subject_access_download",
    ),
]
