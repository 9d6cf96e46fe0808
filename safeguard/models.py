"""The safeguard app's models, declared by subject; Django finds them here."""

from safeguard.audit.models import AuditCheck, AuditCheckpoint, AuditEvent, AuditRechain
from safeguard.core.models import School, StoredUpload

__all__ = ["AuditCheck", "AuditCheckpoint", "AuditEvent", "AuditRechain", "School", "StoredUpload"]
