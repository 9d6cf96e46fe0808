"""Planned-contact requests: asked for in advance, decided by the headteacher (or the chair of
governors), monitored by the line manager, and kept on the staff and pupil files."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """An in-app notice. Like the email it mirrors, it never names a pupil or gives reasons."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message
