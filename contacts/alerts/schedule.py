"""When an urgent alert must be acknowledged: a number of minutes of the school day, counted
Monday to Friday between the day's start and end (a disclosure made at 16:45 with an hour to
acknowledge it is due at 08:45 the next school day). Pure: local times in, a local time out.

Holidays are not known to the app: over a holiday the time runs as on a school day, which errs
towards escalating sooner, never later.
"""

from __future__ import annotations

import datetime as dt

WEEKEND = (5, 6)


def _next_school_start(moment: dt.datetime, starts: dt.time) -> dt.datetime:
    day = moment.date() + dt.timedelta(days=1)
    while day.weekday() in WEEKEND:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, starts, tzinfo=moment.tzinfo)


def acknowledge_deadline(
    raised: dt.datetime, *, minutes: int, starts: dt.time, ends: dt.time
) -> dt.datetime:
    """`minutes` of school time after `raised` (a local, aware time)."""
    left = dt.timedelta(minutes=minutes)
    moment = raised
    while True:
        if moment.weekday() in WEEKEND or moment.time() >= ends:
            moment = _next_school_start(moment, starts)
            continue
        if moment.time() < starts:
            moment = dt.datetime.combine(moment.date(), starts, tzinfo=moment.tzinfo)
        day_end = dt.datetime.combine(moment.date(), ends, tzinfo=moment.tzinfo)
        if moment + left <= day_end:
            return moment + left
        left -= day_end - moment
        moment = _next_school_start(moment, starts)
