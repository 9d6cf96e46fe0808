"""safeguard/views.py: the dashboard costs the same few queries however busy the school
(docs/performance.md, "Benchmark")."""

import pytest
from django.urls import reverse

from tests.factories_pages import add_busy_rows
from tests.helpers import page_queries, sign_in

# Each role's dashboard, as measured with the rows below: a query per row or per section more
# fails here. The head's: the frame (session, person, second factor: 3), the policies in force
# and those to sign (2), the declarations' counts, the head's absence, the decision queue's
# count, Needs attention (rows and counts: 2), outcomes overdue and plans past review (2), and
# "Worth a look": the school's latest change (1), then, kept from an earlier opening, nothing
# more (the test settings keep the cache in memory; the database cache reads it in 1).
# The first opening after a change works "Worth a look" out: the reader's reach, the school's
# requests, records and concerns with their pupils, and the adults flagged (7 more; 5 for the
# DSL, whose reach is the school's).
# The DSL's: the frame (3), the policies, the head's absence, Needs attention (2) and "Worth a
# look" likewise. Deputies and administrators have no "Worth a look".
DASHBOARD_QUERIES = {"head": 13, "deputy": 10, "dsl": 8, "admin": 10}
WORKED_OUT = {"head": 7, "deputy": 0, "dsl": 5, "admin": 0}


@pytest.mark.parametrize("persona", list(DASHBOARD_QUERIES))
def test_a_dashboard_costs_the_same_queries_however_busy_the_school(
    persona, request, client, head, dsl, teacher, colleague, pupil
):
    # Two rounds, so that every section has something in it (an adult worth a look too).
    for round_ in (0, 1):
        add_busy_rows(
            pupil=pupil, requesters=[teacher, colleague], head=head, dsl=dsl, round_=round_
        )
    sign_in(client, request.getfixturevalue(persona))
    url = reverse("dashboard")
    cold = len(page_queries(client, url))
    few = len(page_queries(client, url))
    add_busy_rows(pupil=pupil, requesters=[teacher, colleague], head=head, dsl=dsl, round_=2)
    # The change is a new version of the school's data: "Worth a look" is worked out again.
    assert len(page_queries(client, url)) == cold
    many = len(page_queries(client, url))
    assert many == few
    assert many <= DASHBOARD_QUERIES[persona]
    assert cold - many <= WORKED_OUT[persona]
