"""Signing in: Django's model backend, with the person's school loaded in the same query."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class StaffBackend(ModelBackend):
    """Every page names the signed-in person's school (and most read its settings), so the
    school comes with the user: one query per request fewer."""

    def get_user(self, user_id):
        staff = get_user_model()._default_manager.select_related("school")
        try:
            user = staff.get(pk=user_id)
        except staff.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
