from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import ProtectedError, RestrictedError

from bench.data import (
    BENCH_PASSWORD,
    BENCH_SCHOOL,
    DEFAULT_SEED,
    MIX,
    SCALES,
    BenchSchoolExists,
    build_bench_school,
    many_schools_name,
    scale_for,
)

# What each table holds, in the order the summary lists them.
LABELS = [
    ("contacts.staff", "staff"),
    ("contacts.staffrole", "role assignments"),
    ("contacts.pupil", "pupils"),
    ("contacts.parentcarer", "parents and carers"),
    ("contacts.staffrelative", "staff relatives on roll"),
    ("contacts.headabsence", "headteacher absences"),
    ("contacts.contactrequest", "planned-contact requests"),
    ("contacts.contactrequest_pupils", "  request-pupil links"),
    ("contacts.requestnote", "  notes on requests"),
    ("contacts.contactrecord", "contact records"),
    ("contacts.contactrecord_pupils", "  record-pupil links"),
    ("contacts.disclosure", "disclosures"),
    ("contacts.boundaryconcern", "boundary concerns"),
    ("contacts.ladoreferral", "LADO consultations and referrals"),
    ("contacts.addendum", "addenda"),
    ("contacts.notification", "notifications"),
    ("safeguard.auditevent", "audit events"),
]


class Command(BaseCommand):
    help = (
        f"Fill the database with {BENCH_SCHOOL}: ten years of a large school's synthetic data "
        "for the performance benchmark (bulk inserts, one transaction, a valid audit chain)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="small",
            help="large: 300 staff, 17,000 pupils, 100,000 requests, 200,000 records and about "
            "a million audit events; small: a hundredth of that (the default).",
        )
        parser.add_argument(
            "--fraction",
            type=float,
            help="Any other size, as a fraction of large (0.002 makes a tiny school for tests).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Seed for the random choices (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help=f"Replace an existing {BENCH_SCHOOL}: its rows are deleted and its staff "
            "retired; its audit events stay, since the trail is append-only.",
        )
        parser.add_argument(
            "--schools",
            type=int,
            help="Instead of Benchmark Academy, make this many schools in one installation "
            "(Benchmark School 001, ...), a mix of sizes: fractions "
            f"{', '.join(f'{f:g}' for f in MIX)} of large in turn, each in its own transaction. "
            "Schools already there are kept.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Rows per bulk insert (default 2000).",
        )

    def handle(self, *args, **options):
        try:
            scale = scale_for(options["scale"], fraction=options["fraction"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["schools"] is not None:
            self._many(options)
            return
        self.stdout.write(
            f"Making {BENCH_SCHOOL} at scale {scale.name} (seed {options['seed']}) "
            f"on {connection.vendor}..."
        )
        try:
            result = build_bench_school(
                scale,
                seed=options["seed"],
                replace=options["replace"],
                batch_size=options["batch_size"],
                log=self.stdout.write if options["verbosity"] > 0 else lambda message: None,
            )
        except BenchSchoolExists as error:
            raise CommandError(str(error)) from None
        except (ProtectedError, RestrictedError) as error:
            # Something else now refers to the old school's rows (a legal hold, say).
            raise CommandError(
                f"The earlier {BENCH_SCHOOL} could not be cleared away: {error.args[0]} "
                "Nothing was changed."
            ) from None
        self._summary(result)

    def _many(self, options):
        count = options["schools"]
        if not 1 <= count <= 1000:
            raise CommandError("--schools must be between 1 and 1000.")
        made = kept = events = 0
        for n in range(1, count + 1):
            name, domain = many_schools_name(n)
            try:
                result = build_bench_school(
                    scale_for(fraction=MIX[(n - 1) % len(MIX)]),
                    seed=options["seed"] + n,
                    batch_size=options["batch_size"],
                    name=name,
                    domain=domain,
                )
            except BenchSchoolExists:
                kept += 1
                continue
            made += 1
            events += result.counts.get("safeguard.auditevent", 0)
            if options["verbosity"] > 0:
                self.stdout.write(
                    f"  {name} (school {result.school.pk}, {result.scale.name}): "
                    f"{result.seconds:.1f} s"
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Made {made} schools ({events:,} audit events); {kept} were there already. "
                f"Staff sign in as e.g. head@{many_schools_name(1)[1]} with the password "
                f"{BENCH_PASSWORD}."
            )
        )

    def _summary(self, result):
        out = self.stdout.write
        if result.replaced is not None:
            out(
                f"Replaced the earlier {BENCH_SCHOOL}: {sum(result.replaced.values()):,} rows "
                "deleted, its staff retired; its audit events remain (append-only)."
            )
        out(
            self.style.SUCCESS(
                f"Made {result.school.name} (school {result.school.pk}) in {result.seconds:.1f} s:"
            )
        )
        for label, words in LABELS:
            if label in result.counts:
                out(f"  {words:<34} {result.counts[label]:>10,}")
        out("\nFor the benchmark:")
        pupil = result.focus_pupil
        out(
            f"  pupil with many entries   {pupil.full_name} (pupil id {pupil.pk}): "
            f"{result.focus_pupil_entries:,} requests, records and disclosures"
        )
        out(
            f"  staff with many requests  {result.busy_staff.email} "
            f"(staff id {result.busy_staff.pk}): {result.busy_staff_requests:,} requests"
        )
        for role, staff, why in result.people:
            out(f"  {role:<25} {staff.email} (staff id {staff.pk}): {why}")
        out(
            f"\nEvery account's password is {BENCH_PASSWORD}. Check the chain with "
            "`manage.py verify_audit`."
        )
