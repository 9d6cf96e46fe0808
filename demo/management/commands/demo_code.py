from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.school import DEMO_DOMAIN
from safeguard.accounts.services import current_code
from safeguard.core.emails import normal_email


class Command(BaseCommand):
    help = (
        "Print the two-factor code a demo account's authenticator app would show now. Only for "
        "the demo school, and only in the demo (DEMO=1) or with DEBUG on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help=f"a demo account, such as head@{DEMO_DOMAIN}")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        # A real school's codes must only ever come from the person's own phone.
        if not (settings.DEMO or settings.DEBUG):
            raise CommandError(
                "demo_code works only in the demo (DEMO=1, as `make run` sets) or with DEBUG on."
            )
        email = normal_email(email)
        if not email.endswith(f"@{DEMO_DOMAIN}"):
            raise CommandError(f"demo_code is only for the demo school's @{DEMO_DOMAIN} accounts.")
        device = TOTPDevice.objects.filter(user__email=email, confirmed=True).first()
        if device is None:
            raise CommandError(f"{email} has no authenticator: it signs in with its password only.")
        code, seconds = current_code(device)
        self.stdout.write(f"{code}  (for {email}; type it within {seconds} seconds)")
