"""The menu and the dashboard offer each person the pages their roles open, read from flags
(safeguard.core.context_processors.navigation), never from role names in the templates."""

import pytest
from django.urls import reverse

from tests.helpers import sign_in

# Each person's starting page, and the links it must and must not show.
LINKS = {
    "head": ({"audit_trail", "legal_holds"}, {"retention_reviews"}),
    "chair": ({"audit_trail", "lado_list"}, {"legal_holds", "retention_reviews"}),
    "dsl": ({"retention_reviews", "disclosure_list", "lado_list"}, {"audit_trail", "legal_holds"}),
    "deputy": ({"disclosure_list"}, {"audit_trail", "legal_holds", "retention_reviews"}),
    "admin": ({"staff_list"}, {"audit_trail", "legal_holds", "retention_reviews", "lado_list"}),
    "teacher": (set(), {"audit_trail", "legal_holds", "retention_reviews", "disclosure_list"}),
}


@pytest.mark.parametrize("persona", list(LINKS))
def test_the_menu_offers_what_the_persons_roles_open(persona, db, client, request):
    sign_in(client, request.getfixturevalue(persona))
    page = client.get(reverse("policy_list")).content.decode()
    shown, hidden = LINKS[persona]
    for name in shown:
        assert f'href="{reverse(name)}"' in page, name
    for name in hidden:
        assert f'href="{reverse(name)}"' not in page, name


@pytest.mark.parametrize(
    ("persona", "offers_settings", "offers_absences"),
    [("head", True, True), ("deputy", False, False), ("admin", False, False)],
)
def test_the_dashboard_offers_settings_to_the_head_and_absences_to_those_who_record_them(
    persona, offers_settings, offers_absences, db, client, request
):
    sign_in(client, request.getfixturevalue(persona))
    page = client.get(reverse("dashboard")).content.decode()
    assert (f'href="{reverse("school_settings")}"' in page) is offers_settings
    assert (f'href="{reverse("absences")}"' in page) is offers_absences
