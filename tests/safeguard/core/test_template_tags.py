"""The glossary links: each term linked where it first appears on a page, plain words after
that and in a file made to be read away from the app; text written elsewhere escaped."""

from __future__ import annotations

from django.template import Context, Template
from django.urls import reverse

GLOSSARY = reverse("glossary")


def _render(source: str, **context) -> str:
    return Template("{% load safeguard_tags %}" + source).render(Context(context))


def test_a_term_is_linked_only_where_it_first_appears():
    page = _render('{% term "lado" "LADO" %} and {% term "lado" "the LADO" %}')
    assert page == f'<a class="term" href="{GLOSSARY}#lado">LADO</a> and the LADO'


def test_plain_text_links_each_term_once_and_escapes_the_rest():
    page = _render(
        "{% linked_terms first %} / {% linked_terms second %}",
        first="Ask the LADO <b>now</b> about a former pupil",
        second="The LADO again, and a plan of involvement",
    )
    assert page.count(f'href="{GLOSSARY}#lado"') == 1
    assert f'<a class="term" href="{GLOSSARY}#former-pupil">former pupil</a>' in page
    assert f'<a class="term" href="{GLOSSARY}#plan-of-involvement">plan of involvement</a>' in page
    assert "&lt;b&gt;now&lt;/b&gt;" in page
    assert "<b>" not in page


def test_a_term_named_in_plain_text_is_not_linked_again_by_the_template():
    source = '{% linked_terms line %} {% term "disclosure" "disclosure" %}'
    page = _render(source, line="A disclosure")
    assert page.count("<a ") == 1


def test_a_reference_is_not_taken_for_the_term():
    assert "<a " not in _render("{% linked_terms line %}", line="See LADO-000001")


def test_the_meeting_pack_has_plain_words():
    page = _render('{% term "lado" "LADO" %} {% linked_terms line %}', line="A former pupil",
                   standalone=True)  # fmt: skip
    assert page == "LADO A former pupil"
