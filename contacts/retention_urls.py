from django.urls import path

from contacts import retention_views as views

urlpatterns = [
    path("retention/holds/", views.legal_holds, name="legal_holds"),
    path("retention/holds/<int:pk>/lift/", views.legal_hold_lift, name="legal_hold_lift"),
    path("retention/reviews/", views.retention_reviews, name="retention_reviews"),
    path("retention/reviews/<int:pk>/", views.retention_review, name="retention_review"),
]
