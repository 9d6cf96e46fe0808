"""The acknowledgement deadline counts minutes of the school day, Monday to Friday."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from contacts.alerts.schedule import acknowledge_deadline

LONDON = ZoneInfo("Europe/London")
DAY = {"starts": dt.time(8, 0), "ends": dt.time(17, 0)}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """December 2026: the 7th is a Monday."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("raised", "due"),
    [
        (at(7, 10), at(7, 11)),  # within the day
        (at(7, 16, 30), at(8, 8, 30)),  # runs over into the next morning
        (at(7, 17), at(8, 9)),  # at the day's end: the next day's first hour
        (at(7, 6), at(7, 9)),  # before school: from the start of the day
        (at(11, 16, 45), at(14, 8, 45)),  # Friday afternoon: Monday morning
        (at(12, 11), at(14, 9)),  # Saturday: Monday
        (at(13, 23), at(14, 9)),  # Sunday night: Monday
    ],
)
def test_an_hour_of_school_time(raised, due):
    assert acknowledge_deadline(raised, minutes=60, **DAY) == due


def test_more_than_a_day_of_minutes_runs_across_days():
    # 9 hours a day: 600 minutes from Monday 08:00 is Tuesday 09:00.
    assert acknowledge_deadline(at(7, 8), minutes=600, **DAY) == at(8, 9)
