from django.urls import path

from contacts.people import views

urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/active/", views.staff_active, name="staff_active"),
    path("staff/invitations/", views.invitation_list, name="invitation_list"),
    path("staff/<int:pk>/invite/", views.invitation_send, name="invitation_send"),
    path("invitations/<int:pk>/withdraw/", views.invitation_revoke, name="invitation_revoke"),
    path("staff/<int:pk>/relatives/new/", views.relative_add, name="relative_add"),
    path("relatives/<int:pk>/end/", views.relative_end, name="relative_end"),
    path("staff/<int:pk>/colleagues/", views.colleague_declare, name="colleague_declare"),
    path(
        "staff/<int:pk>/colleagues/<int:relationship_pk>/end/",
        views.colleague_end,
        name="colleague_end",
    ),
    path("relatives/<int:pk>/review/", views.relative_review, name="relative_review"),
    path("relatives/awaiting/", views.relatives_awaiting, name="relatives_awaiting"),
    path(
        "relatives/<int:pk>/acknowledge/", views.relative_acknowledge, name="relative_acknowledge"
    ),
    path("relatives/<int:pk>/decline/", views.relative_decline, name="relative_decline"),
    path("pupils/", views.pupil_list, name="pupil_list"),
    path("pupils/new/", views.pupil_create, name="pupil_create"),
    path("pupils/<int:pk>/edit/", views.pupil_edit, name="pupil_edit"),
    path("pupils/<int:pk>/parents/new/", views.parent_add, name="parent_add"),
    path("import/", views.people_import, name="people_import"),
    path("school/", views.school_settings, name="school_settings"),
    path("governance/", views.governance, name="governance"),
    path("governance/governor/", views.governance_governor_give, name="governance_governor_give"),
    path(
        "governance/<int:pk>/governor/remove/",
        views.governance_governor_remove,
        name="governance_governor_remove",
    ),
    path("governance/<int:pk>/email/", views.governance_email, name="governance_email"),
    path(
        "governance/<int:pk>/whistleblowing/",
        views.governance_whistleblowing,
        name="governance_whistleblowing",
    ),
    path("governance/<int:pk>/active/", views.governance_active, name="governance_active"),
]
