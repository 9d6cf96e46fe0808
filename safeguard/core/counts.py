"""Small counts in what governors read: counts of 1 to 4 can identify a pupil, so a school may
show them as "fewer than 5" (the DfE's usual practice; School.report_small_counts). Zero is
shown as it is: it identifies no one."""

from __future__ import annotations

SMALL_COUNT_WORDS = "fewer than 5"


def is_small(count: int) -> bool:
    return 1 <= count <= 4


def shown_count(count: int, hide_small: bool) -> int | str:
    return SMALL_COUNT_WORDS if hide_small and is_small(count) else count
