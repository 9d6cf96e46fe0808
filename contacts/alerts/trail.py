"""What the audit trail keeps from its readers about alerts, registered with safeguard.audit at
start-up (contacts' AppConfig.ready), as the concerns subject's is: the events of an alert about
a boundary concern the reader may not know of (one about themself) are hidden with it."""

from typing import Any

from contacts.alerts.models import Alert
from contacts.concerns.trail import CONCERN_TYPE
from contacts.concerns.trail import hidden_from as concerns_hidden_from
from safeguard.audit.selectors import TrailPrivacy

ALERT_TYPE = Alert._meta.label_lower


def hidden_from(user: Any) -> dict[str, list[str]]:
    concerns = [int(pk) for pk in concerns_hidden_from(user).get(CONCERN_TYPE, [])]
    alerts = Alert.objects.filter(school_id=user.school_id, concern_id__in=concerns)
    return {ALERT_TYPE: [str(pk) for pk in alerts.values_list("pk", flat=True)]}


ALERTS_PRIVACY = TrailPrivacy(withheld=lambda user: {}, hidden=hidden_from)
