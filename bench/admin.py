"""Django's admin for planned-contact requests, as a school might have used it instead of this
app: the change list of every request, filtered by status. For the benchmark only.

Staff is not a Django permissions user (no is_staff, no permissions), so the site and the model
admin let in the headteacher by role. The admin sits behind the same middleware as every other
page, two-factor sign-in included.
"""

from django.contrib import admin

from contacts.planned.models import ContactRequest
from safeguard.core.roles import Role, has_role


class BenchAdminSite(admin.AdminSite):
    site_header = "Safeguard (benchmark reference)"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and has_role(user, Role.HEADTEACHER)


class ContactRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "requester", "kind", "status", "submitted_at", "decided_at")
    list_filter = ("status",)
    actions = None

    def has_module_permission(self, request) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


site = BenchAdminSite(name="bench_admin")
site.register(ContactRequest, ContactRequestAdmin)
