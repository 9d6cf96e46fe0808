"""Templates read flags that Python computes, never role, status or type strings: a rule about who
sees what lives in one place (roles.py, the selectors, allowed_actions), not in markup."""

import re
from pathlib import Path

from django.conf import settings

from contacts.concerns.models import LadoType, Outcome
from contacts.planned.models import Route, Status
from contacts.records.models import RecordType
from safeguard.core.roles import Role

CONDITION = re.compile(r"{%\s*(?:if|elif)\s(.*?)%}")
QUOTED = re.compile(r"""["']([^"']+)["']""")
# The values a template must not decide by: who someone is, where a case stands, what it is.
CODED = (
    {r.value for r in Role}
    | {s.value for s in Status}
    | {r.value for r in Route}
    | {t.value for t in RecordType}
    | {t.value for t in LadoType}
    | {o.value for o in Outcome}
    # The engine's verdicts ("record", the third, is also the file entries' kind of entry).
    | {"prohibited", "needs_approval"}
)


def coded_conditions(text: str) -> list[str]:
    """The `{% if %}` conditions in a template that compare with a role, status or type code."""
    return [
        condition.strip()
        for condition in CONDITION.findall(text)
        if any(value in CODED for value in QUOTED.findall(condition))
    ]


def test_no_template_decides_by_a_role_status_or_type_string():
    root = Path(settings.BASE_DIR) / "templates"
    found = {
        str(path.relative_to(root)): coded
        for path in sorted(root.rglob("*.html"))
        if (coded := coded_conditions(path.read_text()))
    }
    assert not found, f"Compute a flag in Python instead: {found}"


def test_the_check_finds_a_role_a_status_and_a_type():
    assert coded_conditions("{% if 'headteacher' in nav.roles %}x{% endif %}")
    assert coded_conditions('{% elif item.status == "approved" %}')
    assert coded_conditions('{% if item.record_type == "gift" %}')
    assert not coded_conditions("{% if actions.can_decide %}{% endif %}")
    assert not coded_conditions("{% if message.tags == 'error' %}")
