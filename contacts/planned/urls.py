from django.urls import path

from contacts.planned import views

urlpatterns = [
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/print/", views.request_print, name="request_print"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request_edit"),
    path("requests/<int:pk>/decide/", views.request_decide, name="request_decide"),
    path("requests/<int:pk>/refer/", views.request_refer, name="request_refer"),
    path("requests/<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("requests/<int:pk>/outcome/", views.request_complete, name="request_complete"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<int:pk>/notes/", views.request_note, name="request_note"),
    path("requests/<int:pk>/review/", views.request_review, name="request_review"),
    path("requests/<int:pk>/sessions/new/", views.request_session, name="request_session"),
    path("requests/<int:pk>/plan-review/", views.request_plan_review, name="request_plan_review"),
    path("decisions/", views.decision_queue, name="decision_queue"),
    path("monitoring/", views.monitoring_queue, name="monitoring_queue"),
    path("absences/", views.absences, name="absences"),
    path("absences/<int:pk>/end/", views.absence_end, name="absence_end"),
]
