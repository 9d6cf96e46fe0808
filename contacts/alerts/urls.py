from django.urls import path

from contacts.alerts import views

urlpatterns = [
    path("attention/", views.attention_queue, name="attention_queue"),
    path("attention/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("attention/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
    path("attention/<int:pk>/note/", views.alert_note, name="alert_note"),
    path("attention/<int:pk>/close/", views.alert_close, name="alert_close"),
    path("attention/<int:pk>/reopen/", views.alert_reopen, name="alert_reopen"),
    path("attention/<int:pk>/actions/", views.case_action_add, name="case_action_add"),
    path(
        "attention/<int:pk>/actions/<int:action_pk>/done/",
        views.case_action_done,
        name="case_action_done",
    ),
    path("attention/<int:pk>/referrals/", views.case_referral_add, name="case_referral_add"),
    path(
        "attention/<int:pk>/referrals/<int:referral_pk>/response/",
        views.case_referral_respond,
        name="case_referral_respond",
    ),
]
