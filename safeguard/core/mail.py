"""Emails about a person's own account (an invitation, a password reset): plain text with a
short HTML part, from DEFAULT_FROM_EMAIL under the school's name. They carry a link and what to
do with it, never a pupil's name. Sent after the transaction commits; a mail server that is down
is logged, not turned into an error page for the person who asked."""

from __future__ import annotations

import logging
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def school_from_address(school_name: str) -> str:
    """DEFAULT_FROM_EMAIL with the school's name as the display name."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((school_name, address or settings.DEFAULT_FROM_EMAIL))


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def account_email(
    *, school_name: str, to: str, subject: str, template: str, context: dict[str, Any]
) -> EmailMultiAlternatives:
    """The email `templates/emails/<template>.txt` (and `.html`) renders, ready to send."""
    context = {"school_name": school_name, **context}
    message = EmailMultiAlternatives(
        subject=f"{school_name}: {subject}",
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=school_from_address(school_name),
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message


def send_on_commit(message: EmailMultiAlternatives) -> None:
    def send() -> None:
        try:
            message.send(fail_silently=False)
        except Exception:
            logger.exception("Could not send the email %r", message.subject)

    transaction.on_commit(send)
