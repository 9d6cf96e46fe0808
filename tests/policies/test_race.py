"""Two signatories signing at once: the row locks make them sign one after the other, so the
second sees the first's signature and exactly one of them adopts the version. Needs real
concurrent transactions, so PostgreSQL only."""

import threading
import time
from unittest import mock

import pytest
from django.db import connection

from contacts.people.models import Staff
from policies import services
from policies.models import PolicyVersion
from safeguard.audit.models import AuditEvent
from tests.policies.test_services import _fields

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks; SQLite serialises writers",
)

# How long the first signatory holds the locks, so the second is surely queued behind them.
HOLD_SECONDS = 1.0


def _race(version_pk: int, first_pk: int, second_pk: int) -> dict:
    barrier = threading.Barrier(2)
    first_holds_lock = threading.Event()
    outcomes: dict = {}
    here = threading.local()
    real = services.signing_for

    def slow_signing_for(*args, **kwargs):
        # Called once the locks are held: keep them long enough for the other to queue.
        if getattr(here, "first", False):
            first_holds_lock.set()
            time.sleep(HOLD_SECONDS)
        return real(*args, **kwargs)

    def sign(actor_pk: int, is_first: bool) -> None:
        here.first = is_first
        try:
            actor = Staff.objects.get(pk=actor_pk)
            version = PolicyVersion.objects.get(pk=version_pk)
            barrier.wait(timeout=10)
            if not is_first:
                assert first_holds_lock.wait(timeout=10), "the first never got the locks"
            services.policy_version_sign(actor=actor, version=version)
            outcomes[(actor_pk, is_first)] = "ok"
        except Exception as error:  # reported to the main thread
            outcomes[(actor_pk, is_first)] = error
        finally:
            connection.close()

    with mock.patch.object(services, "signing_for", slow_signing_for):
        threads = [
            threading.Thread(target=sign, args=(first_pk, True)),
            threading.Thread(target=sign, args=(second_pk, False)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_the_head_and_the_chair_signing_at_once_adopt_the_version_once(head, chair, school):
    version = services.policy_create(actor=head, **_fields(school)).versions.get()

    outcomes = _race(version.pk, chair.pk, head.pk)

    assert set(outcomes.values()) == {"ok"}, outcomes
    version.refresh_from_db()
    assert version.adopted_at is not None
    assert AuditEvent.objects.filter(action="policy.sign").count() == 2
    [adopted] = AuditEvent.objects.filter(action="policy.adopt")
    assert adopted.actor == head  # the second to sign completed it


@pytest.mark.django_db(transaction=True)
def test_a_double_press_signs_once(head, chair, school):
    version = services.policy_create(actor=head, **_fields(school)).versions.get()

    outcomes = _race(version.pk, chair.pk, chair.pk)

    assert outcomes[(chair.pk, True)] == "ok", outcomes
    refused = outcomes[(chair.pk, False)]
    assert refused.messages == ["You have already signed this version."], repr(refused)
    assert version.signatures.filter(signed_by=chair).count() == 1
    assert AuditEvent.objects.filter(action="policy.sign").count() == 1
