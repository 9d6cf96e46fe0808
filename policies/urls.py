from django.urls import path

from policies import views

urlpatterns = [
    path("check/", views.contact_check, name="contact_check"),
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/versions/new/", views.policy_version_add, name="policy_version_add"),
    path(
        "policies/versions/<int:pk>/acknowledge/",
        views.policy_acknowledge,
        name="policy_acknowledge",
    ),
    path("policies/versions/<int:pk>/sign/", views.policy_sign, name="policy_sign"),
    path("policies/versions/<int:pk>/document/", views.policy_document, name="policy_document"),
]
