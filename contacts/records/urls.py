from django.urls import path

from contacts.records import views

urlpatterns = [
    path("records/", views.record_list, name="record_list"),
    path("records/new/", views.record_new, name="record_new"),
    path("records/new/<str:record_type>/", views.record_new_type, name="record_new_type"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("records/<int:pk>/print/", views.record_print, name="record_print"),
    path("records/<int:pk>/attachment/", views.record_attachment, name="record_attachment"),
    path("records/<int:pk>/addenda/", views.record_addendum, name="record_addendum"),
    path("disclosures/", views.disclosure_list, name="disclosure_list"),
    path("disclosures/new/", views.disclosure_new, name="disclosure_new"),
    path("disclosures/<int:pk>/", views.disclosure_detail, name="disclosure_detail"),
    path("disclosures/<int:pk>/addenda/", views.disclosure_addendum, name="disclosure_addendum"),
]
