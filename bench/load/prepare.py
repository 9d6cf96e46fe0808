"""Who the load test signs in as, written to a JSON file for locust (runs inside Django).

    DJANGO_SETTINGS_MODULE=safeguard.settings python -m bench.load.prepare --out accounts.json

From Benchmark Academy (`seed_bench`): members of staff without a senior role whose line
manager is a plain line manager, those line managers, the governors, and the headteacher.

The headteacher must pass two-factor sign-in. If they have no authenticator yet, one is set up
through the same services as the set-up page (`two_factor_begin`, then `two_factor_confirm`
with the code an app would show), so the audit trail records it like any other. The file then
holds the device's secret, as the headteacher's phone would: locust computes the code of the
moment from it and types it into the real sign-in page. The file is for this run only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path


def accounts() -> dict:
    import django

    django.setup()
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bench.data import BENCH_PASSWORD, BENCH_SCHOOL
    from contacts.people.models import Pupil, Staff
    from safeguard.accounts.services import two_factor_begin, two_factor_confirm
    from safeguard.core.models import School
    from safeguard.core.roles import TWO_FACTOR_ROLES, Role, roles_of

    school = School.objects.get(name=BENCH_SCHOOL)
    if school.require_two_factor_for_all:
        raise SystemExit("The load test expects two-factor sign-in for senior roles only.")
    people = list(
        Staff.objects.filter(school=school, is_active=True)
        .select_related("line_manager")
        .prefetch_related("role_assignments")
        .order_by("pk")
    )
    held = {p.pk: {r.role for r in p.role_assignments.all()} for p in people}
    heads = [p for p in people if Role.HEADTEACHER in held[p.pk]]
    if len(heads) != 1:
        raise SystemExit(f"Expected one headteacher at {BENCH_SCHOOL}, found {len(heads)}.")
    head = heads[0]

    def plain_manager(person) -> bool:
        return (
            person is not None
            and person.is_active
            and Role.LINE_MANAGER in held.get(person.pk, ())
            and not held[person.pk] & TWO_FACTOR_ROLES
        )

    staff = [p for p in people if not held[p.pk] and plain_manager(p.line_manager)]
    managers = sorted({p.line_manager.email for p in staff})  # type: ignore[union-attr]  # all have one
    governors = [p.email for p in people if held[p.pk] == {Role.GOVERNOR}]
    if not (staff and managers and governors):
        raise SystemExit("The benchmark school has no staff, line managers or governors to use.")
    # The same shuffle every run: which staff sign in first does not depend on the database.
    emails = sorted(p.email for p in staff)
    random.Random(2026).shuffle(emails)

    # Staff find a pupil by name, as a person would: full names of pupils on roll.
    on_roll = Pupil.objects.filter(school=school).current().order_by("pk")
    pupil_names = sorted({f"{p.first_name} {p.last_name}" for p in on_roll[:400]})

    device = TOTPDevice.objects.filter(user=head, confirmed=True).first()
    if device is None:
        pending = two_factor_begin(actor=head)
        code = totp(pending.bin_key, step=pending.step, t0=pending.t0, digits=pending.digits)
        device, _codes = two_factor_confirm(actor=head, token=f"{code:0{pending.digits}d}")
    device.refresh_from_db()
    assert Role.HEADTEACHER in roles_of(head)
    return {
        "school": school.name,
        "password": BENCH_PASSWORD,
        "staff": emails,
        "managers": managers,
        "governors": governors,
        "pupil_names": pupil_names,
        "head": {
            "email": head.email,
            "key": device.bin_key.hex(),
            "step": device.step,
            "t0": device.t0,
            "digits": device.digits,
            "last_t": device.last_t,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguard.settings")
    data = accounts()
    args.out.touch(mode=0o600)
    args.out.write_text(json.dumps(data, indent=1))
    print(
        f"{len(data['staff'])} staff, {len(data['managers'])} line managers, "
        f"{len(data['governors'])} governors, headteacher {data['head']['email']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
