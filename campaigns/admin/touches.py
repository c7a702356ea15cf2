"""The read-only touch list: every recorded click and entry, scoped to the user's campaigns."""

from django.contrib import admin

from accounts.scoping import AccountScopedAdmin
from campaigns.models import Touch


@admin.register(Touch)
class TouchAdmin(AccountScopedAdmin):
    """Recorded touches, read-only: facts for attribution are never edited by hand."""

    account_path = "campaign__owner_account"
    co_account_path = "campaign__co_accounts"
    list_display = ["occurred_at", "campaign", "account", "kind", "link", "utm_source", "utm_medium", "is_bot"]
    list_filter = ["kind", "is_bot", "campaign", "account", ("occurred_at", admin.DateFieldListFilter)]
    list_select_related = ["campaign", "account", "link"]
    fields = ["occurred_at", "campaign", "account", "link", "kind", "reference", "visitor_id", "user",
              "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
              "gclid", "fbclid", "msclkid", "ttclid", "twclid", "is_bot"]
    readonly_fields = fields
    show_full_result_count = False  # a COUNT(*) over millions of touches per page view is not worth it

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
