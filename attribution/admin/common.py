"""What the attribution admin pages share: only finance roles see sales, and facts are read-only."""

from accounts.roles import FINANCE_ROLES
from accounts.scoping import AccountScopedAdmin, account_ids_with, account_of, is_superuser


class FinanceScopedAdmin(AccountScopedAdmin):
    """An account-scoped admin whose objects only the account's managers and finance people may see.

    Marketers and analysts of the account see none of it (the campaign page shows them aggregates);
    nobody sees another account's rows. Rows are facts written by attribution's functions, so the
    pages are read-only unless a subclass says otherwise.
    """

    view_roles = FINANCE_ROLES

    def finance_account_ids(self, request):
        return account_ids_with(request, self.view_roles)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_superuser(request):
            return queryset
        return queryset.filter(**{self.account_lookup(): self.finance_account_ids(request)})

    def may_view(self, request, obj=None):
        if is_superuser(request):
            return True
        allowed = self.finance_account_ids(request)
        if obj is None:
            return bool(allowed)
        account = account_of(obj, self.account_path)
        return account is not None and account.pk in allowed

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
