"""Help: who does what, the glossary, the footer that links them, and the terms linked from
the pages where they first appear."""

from __future__ import annotations

import re
from html.parser import HTMLParser

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


# --- each term linked where it first appears --------------------------------------------------

# How each glossary term is written on the pages.
WRITTEN = {entry.slug: entry.written for entry in GLOSSARY}


class _Words(HTMLParser):
    """The main content's words, each piece with the glossary entry its link names (if any);
    form controls and scripts are skipped: they are not reading."""

    SKIPPED = {"script", "style", "option", "select", "textarea", "svg", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[tuple[str, str | None]] = []
        self.inside_main = False
        self.skipping = 0
        self.linked: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "main":
            self.inside_main = True
        if tag in self.SKIPPED:
            self.skipping += 1
        if tag == "a":
            href = values.get("href") or ""
            glossary = reverse("glossary") + "#"
            self.linked.append(href.split("#", 1)[1] if href.startswith(glossary) else None)

    def handle_endtag(self, tag):
        if tag == "main":
            self.inside_main = False
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1
        if tag == "a" and self.linked:
            self.linked.pop()

    def handle_data(self, data):
        if self.inside_main and not self.skipping:
            self.pieces.append((data, self.linked[-1] if self.linked else None))


def unlinked_terms(html: str) -> dict[str, str]:
    """Each glossary term whose first appearance on the page is not a link to its entry, with
    the words around it."""
    words = _Words()
    words.feed(html)
    page = "".join(piece for piece, _ in words.pieces)
    owners = []
    for piece, slug in words.pieces:
        owners += [slug] * len(piece)
    missing = {}
    for slug, pattern in WRITTEN.items():
        found = re.search(pattern, page)
        if found and owners[found.start()] != slug:
            around = page[max(0, found.start() - 60) : found.end() + 60]
            missing[slug] = " ".join(around.split())
    return missing


def test_every_term_says_how_it_is_written():
    for slug, pattern in WRITTEN.items():
        assert pattern and re.compile(pattern), slug


def _pages_of_the_built_school(client, built) -> dict[str, str]:
    """Every request, record, disclosure, concern and LADO page of the report's school, as the
    people who read them see them, and the governors' report."""
    from contacts.concerns.models import BoundaryConcern, LadoReferral
    from contacts.records.models import ContactRecord, Disclosure
    from tests.factories_reports import RANGE_QUERY

    cast = built.cast
    pages = {}
    readers = (cast.head, cast.dsl, cast.teacher, cast.chair)
    rows = [("request_detail", item) for item in built.requests.values()]
    rows += [("record_detail", item) for item in ContactRecord.objects.all()]
    rows += [("disclosure_detail", item) for item in Disclosure.objects.all()]
    rows += [("concern_detail", item) for item in BoundaryConcern.objects.all()]
    rows += [("lado_detail", item) for item in LadoReferral.objects.all()]
    for reader in readers:
        sign_in(client, reader)
        for name, item in rows:
            response = client.get(reverse(name, args=[item.pk]))
            if response.status_code == 200:
                pages[f"{name} {item.pk} as {reader.email}"] = response.text
    sign_in(client, cast.chair)
    pages["governors_report"] = client.get(reverse("governors_report"), RANGE_QUERY).text
    return pages


def test_each_term_is_linked_where_it_first_appears_on_request_record_and_report_pages(
    client, school, head, teacher, line_manager, colleague, chair, dsl, governor
):
    from tests.factories_reports import Cast, build

    built = build(Cast(school=school, head=head, teacher=teacher, colleague=colleague,
                       chair=chair, dsl=dsl))  # fmt: skip
    pages = _pages_of_the_built_school(client, built)
    assert len(pages) > 20
    unlinked = {
        f"{page}: {slug}": around
        for page, html in pages.items()
        for slug, around in unlinked_terms(html).items()
    }
    assert not unlinked, "\n".join(f"{where} … {around}" for where, around in unlinked.items())
