"""The safeguard app's models, declared by subject; Django finds them here."""

from safeguard.audit.models import AuditCheck, AuditEvent, AuditRechain
from safeguard.core.models import School

__all__ = ["AuditCheck", "AuditEvent", "AuditRechain", "School"]
