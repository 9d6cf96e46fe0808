from django.urls import path

from contacts import request_views as rv
from contacts import subject_access_views as sav
from contacts import views

urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/active/", views.staff_active, name="staff_active"),
    path("staff/<int:pk>/relatives/new/", views.relative_add, name="relative_add"),
    path("staff/<int:pk>/subject-access/", sav.staff_subject_access, name="staff_subject_access"),
    path(
        "staff/<int:pk>/subject-access/export/",
        sav.staff_subject_access_download,
        name="staff_subject_access_download",
    ),
    path("relatives/<int:pk>/remove/", views.relative_remove, name="relative_remove"),
    path("pupils/", views.pupil_list, name="pupil_list"),
    path("pupils/new/", views.pupil_create, name="pupil_create"),
    path("pupils/<int:pk>/", views.pupil_detail, name="pupil_detail"),
    path("pupils/<int:pk>/edit/", views.pupil_edit, name="pupil_edit"),
    path("pupils/<int:pk>/parents/new/", views.parent_add, name="parent_add"),
    path("pupils/<int:pk>/subject-access/", sav.pupil_subject_access, name="pupil_subject_access"),
    path(
        "pupils/<int:pk>/subject-access/export/",
        sav.pupil_subject_access_download,
        name="pupil_subject_access_download",
    ),
    path("import/", views.people_import, name="people_import"),
    path("school/", views.school_settings, name="school_settings"),
    path("requests/", rv.my_requests, name="my_requests"),
    path("requests/new/", rv.request_new, name="request_new"),
    path("requests/<int:pk>/", rv.request_detail, name="request_detail"),
    path("requests/<int:pk>/edit/", rv.request_edit, name="request_edit"),
    path("requests/<int:pk>/decide/", rv.request_decide, name="request_decide"),
    path("requests/<int:pk>/refer/", rv.request_refer, name="request_refer"),
    path("requests/<int:pk>/withdraw/", rv.request_withdraw, name="request_withdraw"),
    path("requests/<int:pk>/outcome/", rv.request_complete, name="request_complete"),
    path("requests/<int:pk>/cancel/", rv.request_cancel, name="request_cancel"),
    path("requests/<int:pk>/notes/", rv.request_note, name="request_note"),
    path("requests/<int:pk>/review/", rv.request_review, name="request_review"),
    path("decisions/", rv.decision_queue, name="decision_queue"),
    path("monitoring/", rv.monitoring_queue, name="monitoring_queue"),
    path("absences/", rv.absences, name="absences"),
    path("absences/<int:pk>/end/", rv.absence_end, name="absence_end"),
    path("notifications/", rv.notifications, name="notifications"),
    path("notifications/<int:pk>/", rv.notification_open, name="notification_open"),
]
