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
