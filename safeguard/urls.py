from django.urls import include, path

from safeguard import views
from safeguard.accounts.views import SignInView, SignOutView

# A database that does not answer is a 503 "back in a moment" page, not a 500
# (safeguard.core.errors).
handler500 = "safeguard.core.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("health/", views.health, name="health"),
    path("help/", views.help_page, name="help"),
    path("help/glossary/", views.glossary, name="glossary"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", SignOutView.as_view(), name="logout"),
    path("", include("safeguard.accounts.urls")),
    path("", include("contacts.urls")),
    path("", include("policies.urls")),
    path("", include("safeguard.audit.urls")),
    path("", include("safeguard.reports.urls")),
]
