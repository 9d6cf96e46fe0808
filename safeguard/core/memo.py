"""Answers kept for the length of one page view.

A page asks the same small questions many times over: whether the head is away today, which
colleagues the reader declared a relationship with, who declared one with the head. Each
selector that needs the answer asks again, so one dashboard asked the same three queries six
times. A function marked `per_request` answers once per page view and then from memory.

Only while a GET or HEAD request is answered (`memo_per_request`, a middleware): those change
nothing the answers depend on (a view event is the only write they make). A form posted, a
service, a command or a test calling a selector directly always reads afresh, so a decision is
never taken on an answer read before its row was locked. The answers must be immutable
(frozensets, not sets), since every caller within the page shares them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.http import HttpRequest, HttpResponseBase

_P = ParamSpec("_P")
_R = TypeVar("_R")

_memo: ContextVar[dict[tuple, Any] | None] = ContextVar("safeguard_request_memo", default=None)

# Methods that change nothing: their pages may share answers.
_SAFE = frozenset({"GET", "HEAD"})


def per_request(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Answer once per page view for the same positional arguments (hashable ones only)."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        memo = _memo.get()
        if memo is None or kwargs:
            return func(*args, **kwargs)
        key = (func.__module__, func.__qualname__, args)
        if key not in memo:
            memo[key] = func(*args, **kwargs)
        answer: _R = memo[key]  # stored by this wrapper, for func
        return answer

    return wrapper


def remember(func: Callable[..., _R], *args: object, value: _R) -> None:
    """Give a `per_request` function its answer for these arguments, when it was read with
    something else (the signed-in person, loaded in one query); outside a page view, nothing."""
    memo = _memo.get()
    if memo is not None:
        memo[func.__module__, func.__qualname__, args] = value


def memo_per_request(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """Middleware: one memo for each GET or HEAD request, dropped when it is answered."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        if request.method not in _SAFE:
            return get_response(request)
        token = _memo.set({})
        try:
            return get_response(request)
        finally:
            _memo.reset(token)

    return middleware
