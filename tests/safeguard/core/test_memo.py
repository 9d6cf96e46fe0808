"""safeguard/core/memo.py: an answer kept for one page view (GET or HEAD), never longer, and
never while a form is posted."""

from django.http import HttpResponse
from django.test import RequestFactory

from safeguard.core.memo import memo_per_request, per_request, remember

asked: list[int] = []


@per_request
def _double(n: int) -> int:
    asked.append(n)
    return n * 2


def _page(request):
    return HttpResponse(f"{_double(2)} {_double(2)} {_double(3)}")


def test_a_page_view_asks_once_per_argument():
    asked.clear()
    response = memo_per_request(_page)(RequestFactory().get("/"))
    assert response.content == b"4 4 6"
    assert asked == [2, 3]


def test_the_next_page_view_asks_again():
    asked.clear()
    view = memo_per_request(_page)
    view(RequestFactory().get("/"))
    view(RequestFactory().get("/"))
    assert asked == [2, 3, 2, 3]


def test_a_posted_form_always_reads_afresh():
    asked.clear()
    memo_per_request(_page)(RequestFactory().post("/"))
    assert asked == [2, 2, 3]


def test_outside_a_page_view_nothing_is_kept():
    asked.clear()
    assert _double(5) == _double(5) == 10
    assert asked == [5, 5]


def test_an_answer_read_with_something_else_is_used_for_that_page_view_only():
    asked.clear()

    def page(request):
        remember(_double, 7, value=99)
        return HttpResponse(str(_double(7)))

    assert memo_per_request(page)(RequestFactory().get("/")).content == b"99"
    assert asked == []
    remember(_double, 7, value=99)  # outside a page view: ignored
    assert _double(7) == 14
