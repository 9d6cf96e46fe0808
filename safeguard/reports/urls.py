from django.urls import path

from safeguard.reports import views

urlpatterns = [
    path("reports/", views.governors_report_page, name="governors_report"),
    path("reports/download/", views.governors_report_download, name="governors_report_download"),
    path("reports/report.pdf", views.governors_report_pdf, name="governors_report_pdf"),
    path("reports/<slug:table>.csv", views.governors_report_csv, name="governors_report_csv"),
]
