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
        # Nor is anyone shown that their own pattern was looked at.
        from contacts.patterns.trail import PATTERNS_PRIVACY

        register_trail_privacy(PATTERNS_PRIVACY)

        # And the events of alerts about those concerns.
        from contacts.alerts.trail import ALERTS_PRIVACY

        register_trail_privacy(ALERTS_PRIVACY)

        # People services alert someone at once (a declared relative awaits acknowledgement)
        # through the notifications subject, which sits above them.
        from contacts.notifications.services import notify
        from contacts.people.services import register_notifier

        register_notifier(notify)

        # Changes to who holds which duty are told to the chair and the DSL; the notifications
        # subject sits above people, so it registers the teller rather than being imported.
        from contacts.notifications.services import duty_change_tell
        from contacts.people.services import register_duty_teller

        register_duty_teller(duty_change_tell)

        # Disclosures, records and concerns raise "needs attention" alerts in the transaction
        # that writes them; the alerts subject sits above them, so it registers the raiser.
        from contacts.alerts.services import alert_raise
        from safeguard.core.attention import register_raiser

        register_raiser(alert_raise)

        # A full check of the trail also checks that no record, disclosure or addendum was
        # changed behind the app's back (the seal its writing event carries).
        from contacts.records.seals import broken_seals
        from safeguard.audit.chain import register_content_check

        register_content_check(broken_seals)
