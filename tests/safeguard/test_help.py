"""Help: who does what, the glossary, the footer that links them, and the terms linked from
the pages where they first appear."""

from __future__ import annotations

import re

from django.urls import reverse

from safeguard.core.roles import Role
from safeguard.help import GLOSSARY, ROLE_GUIDES, TERMS
from tests.helpers import REPO_ROOT, sign_in, text


def test_the_help_page_explains_every_role_with_the_readers_own_first(client, head):
    anonymous = text(client.get(reverse("help")))
    for guide in ROLE_GUIDES:
        assert guide.title in anonymous
    assert {guide.role for guide in ROLE_GUIDES} == set(Role)
    sign_in(client, head)
    page = text(client.get(reverse("help")))
    # The head's own roles (every member of staff's, and the head's) come first, marked.
    assert page.index("Headteacher You") < page.index("Governor for whistleblowing")
    assert page.index("Every member of staff You") < page.index("Governor for whistleblowing")
    assert "Governor You" not in page


def test_the_glossary_explains_the_apps_words_each_with_an_anchor(client):
    response = client.get(reverse("glossary"))
    page = text(response)
    for term in GLOSSARY:
        assert term.term in page
        assert f'id="{term.slug}"' in response.text
    assert "local authority designated officer" in page
    assert "(000 §contact with former pupils)" in page


def test_every_page_has_the_help_and_glossary_in_its_footer(client, teacher):
    for response in (client.get(reverse("login")), _signed_in(client, teacher)):
        footer = response.text.split("<footer", 1)[1]
        assert reverse("help") in footer and reverse("glossary") in footer


def _signed_in(client, person):
    sign_in(client, person)
    return client.get(reverse("my_requests"))


def test_every_term_a_page_links_is_in_the_glossary():
    used = set()
    for path in (REPO_ROOT / "templates").rglob("*.html"):
        used |= set(re.findall(r'{% term "([^"]+)"', path.read_text()))
    assert used, "pages link terms"
    assert used <= set(TERMS)


def test_a_restricted_entry_links_the_term_to_its_meaning(client, head, teacher, pupil):
    from tests.factories_records import make_family_record

    record = make_family_record(teacher, [pupil])
    sign_in(client, head)
    response = client.get(reverse("record_detail", args=[record.pk]))
    assert f'href="{reverse("glossary")}#restricted-entry"' in response.text
