"""The deputy's first sign-in: held at two-factor set-up until an authenticator is proven, shown
recovery codes once, then let in; a recovery code signs her in when the phone is not to hand."""

import re
from base64 import b32decode

from django_otp.oath import totp

from safeguard.core.roles import Role
from tests.e2e.browser import Person
from tests.factories import TEST_PASSWORD, StaffFactory


def _code_from_key(key: str) -> str:
    """What the phone shows after the key on the page is typed into an authenticator app."""
    padded = key + "=" * (-len(key) % 8)
    return f"{totp(b32decode(padded)):06d}"


def test_first_sign_in_sets_up_two_factor_then_a_recovery_code_works(
    browser, live_server, school, head
):
    deputy = StaffFactory(
        school=school,
        email="deputy@oakfield.example",
        first_name="David",
        last_name="Okafor",
        job_title="Deputy headteacher",
        roles=[Role.DEPUTY_HEAD],
        line_manager=head,
    )
    person = Person(browser, live_server.url, deputy, password=TEST_PASSWORD)
    try:
        page = person.page
        person.open("/login/")
        page.get_by_label("Email address").fill(deputy.email)
        page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        person.click("Sign in")
        assert "/account/two-factor/setup/" in page.url
        person.sees("Set up two-factor sign-in", "Your role gives you access to sensitive records")
        person.does_not_see("Pupils", within="header")  # no navigation it cannot use yet

        # Anywhere else leads back to set-up.
        person.open("/pupils/")
        assert "/account/two-factor/setup/" in page.url

        person.click("Start set-up")
        person.sees("Scan this QR code", "type this key")
        assert page.locator(".qr-code svg").count() == 1
        key = page.get_by_label("Set-up key").inner_text().strip()

        page.get_by_label("Code").fill("000000")
        person.click("Turn on two-factor sign-in")
        person.sees("That code is not right")

        # django-otp makes the device wait a second after a wrong code, as a phone user would.
        page.wait_for_timeout(1100)
        page.get_by_label("Code").fill(_code_from_key(key))
        person.click("Turn on two-factor sign-in")
        person.sees("Two-factor sign-in is on", "Keep these recovery codes safe")
        codes = re.findall(r"\b[0-9a-f]{5} [0-9a-f]{5}\b", page.locator("main").inner_text())
        assert len(codes) == 10

        person.follow("I have kept them: continue")
        assert "/pupils/" in page.url
        person.sees("Pupils")

        # Next time, with the phone left at home: a recovery code, once.
        person.click("Sign out")
        person.open("/login/")
        page.get_by_label("Email address").fill(deputy.email)
        page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        person.click("Sign in")
        assert "/account/two-factor/verify/" in page.url
        page.get_by_label("Code").fill(codes[0])
        person.click("Verify")
        person.sees("You signed in with a recovery code; 9 left")
    finally:
        person.close()
    assert not person.problems, "\n".join(person.problems)
