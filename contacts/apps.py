from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "People and contact"

    def ready(self) -> None:
        # The audit trail asks the concerns subject whose names and events to keep from a
        # reader; registered here so that safeguard.audit need not import contacts.
        from contacts.concerns.trail import CONCERNS_PRIVACY
        from safeguard.audit.selectors import register_trail_privacy

        register_trail_privacy(CONCERNS_PRIVACY)

        # People services alert someone at once (a declared relative awaits acknowledgement)
        # through the notifications subject, which sits above them.
        from contacts.notifications.services import notify
        from contacts.people.services import register_notifier

        register_notifier(notify)
