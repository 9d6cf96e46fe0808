"""Getting in without anyone running a command: the administrator adds a teaching assistant and
invites her, she chooses her password from the emailed link and is signed in; a teacher who has
forgotten his password resets it from the sign-in page."""

import re

from django.core import mail

from contacts.people.models import Staff
from tests.e2e.browser import SCREENSHOTS, Person

CHOSEN = "Blue-kettle-Orchard-42"


def _emailed_path(pattern: str) -> str:
    """The path of the link in the newest email (the email's host is the installation's)."""
    link = re.search(pattern, mail.outbox[-1].body).group(0)
    return "/" + link.split("/", 3)[3]


def _photograph_email(person: Person, name: str) -> None:
    """The email's HTML part, as a mail client shows it."""
    message = mail.outbox[-1]
    html, _ = message.alternatives[0]
    page = person.context.new_page()
    header = (
        f"<p><b>From:</b> {message.from_email}<br><b>To:</b> {', '.join(message.to)}<br>"
        f"<b>Subject:</b> {message.subject}</p><hr>"
    )
    page.set_content(
        f"<html><body style='font-family:sans-serif;max-width:40em;margin:2em'>"
        f"{header}{html}</body></html>"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    page.close()


def test_an_invited_teaching_assistant_chooses_her_password_and_is_signed_in(
    people, browser, live_server, admin, line_manager
):
    office = people(admin)
    office.follow("Staff")
    office.follow("Add staff")
    office.field("First name").fill("Nina")
    office.field("Last name").fill("Newstaff")
    office.field("Email address").fill("nina.newstaff@test.example")
    office.field("Staff type").select_option(label="Support staff")
    office.page.locator("#id_line_manager").select_option(label=line_manager.full_name)
    assert office.page.get_by_label("Email them an invitation to sign in").is_checked()
    office.click("Save")
    office.sees("Nina Newstaff was added and emailed an invitation to sign in.", "Invited, until")

    [message] = mail.outbox
    assert message.to == ["nina.newstaff@test.example"]
    assert "Oakfield Community School" in message.from_email
    _photograph_email(office, "invitation-email")

    office.open("/staff/invitations/")
    office.sees("Nina Newstaff", "Invited")
    office.screenshot("invitations")

    nina = Staff.objects.get(email="nina.newstaff@test.example")
    newcomer = Person(browser, live_server.url, nina, password=CHOSEN)
    try:
        newcomer.open(_emailed_path(r"https?://\S+/invitation/\S+/"))
        newcomer.sees("Welcome, Nina", "Oakfield Community School has invited you")
        newcomer.screenshot("invitation-accept")
        newcomer.field("New password").fill("password")
        newcomer.field("New password confirmation").fill("password")
        newcomer.click("Save my password and sign in")
        newcomer.sees("This password is too common")
        newcomer.field("New password").fill(CHOSEN)
        newcomer.field("New password confirmation").fill(CHOSEN)
        newcomer.click("Save my password and sign in")
        newcomer.sees("Welcome to Safeguard, Nina. Your password is set.")

        # The link is spent; her password works from the sign-in page.
        newcomer.click("Sign out")
        newcomer.sign_in()
    finally:
        newcomer.close()
    assert not newcomer.problems, "\n".join(newcomer.problems)

    office.open("/staff/invitations/")
    office.sees("Accepted")


def test_a_forgotten_password_is_reset_from_the_sign_in_page(browser, live_server, teacher):
    person = Person(browser, live_server.url, teacher, password=CHOSEN)
    try:
        person.open("/login/")
        person.follow("Forgot your password?")
        person.field("Email address").fill(teacher.email.upper())
        person.click("Email me a link")
        person.sees("Check your email")
        assert mail.outbox[-1].to == [teacher.email]
        path = _emailed_path(r"https?://\S+/password-reset/\S+/\S+/")

        person.open(path)
        person.sees("Choose a new password")
        person.field("New password").fill(CHOSEN)
        person.field("New password confirmation").fill(CHOSEN)
        person.click("Save my new password")
        person.sees("Your password was changed")

        # The same link again: used.
        person.open(path)
        person.sees("This link cannot be used")
        person.follow("Ask for a new link")
        person.sees("Forgot your password?")

        person.sign_in()
    finally:
        person.close()
    assert not person.problems, "\n".join(person.problems)
