"""The `assign_chair` command: the installation's operator appoints a school's chair."""

import pytest
from django.core.management import CommandError, call_command

from safeguard.audit.models import AuditEvent
from safeguard.core.roles import Role


def test_the_command_appoints_the_chair_and_names_the_operator(governor, chair):
    call_command("assign_chair", email="GOVERNOR@test.example", operator="A. Operator")
    assert governor.role_assignments.filter(role=Role.CHAIR_OF_GOVERNORS).exists()
    assert not chair.role_assignments.exists()
    assert AuditEvent.objects.filter(actor=None, reason__contains="A. Operator").exists()


def test_the_command_refuses_an_unknown_address(db):
    with pytest.raises(CommandError, match="No account"):
        call_command("assign_chair", email="nobody@test.example", operator="A. Operator")


def test_a_refused_reset_leaves_the_appointment_undone(governor):
    with pytest.raises(CommandError, match="has not set up"):
        call_command(
            "assign_chair", email=governor.email, operator="A. Operator", reset_two_factor=True
        )
    assert not governor.role_assignments.filter(role=Role.CHAIR_OF_GOVERNORS).exists()
