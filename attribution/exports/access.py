"""Who may request, see and download finance exports: managers and finance people (FINANCE_ROLES).

An export is visible only to someone who holds a finance role in *every* one of its accounts (an export
of two accounts shows both accounts' sales); superusers see all. Marketers and analysts see none.
"""

from django.db.models import Exists, OuterRef

from accounts.memberships import member_roles
from accounts.roles import FINANCE_ROLES
from attribution.models import FinanceExport


class ExportRefused(Exception):
    """A request, an export or a close that cannot be done, with a sentence saying why and what to do."""

    def __init__(self, message, *, closed_period=None):
        super().__init__(message)
        self.closed_period = closed_period


def finance_account_ids(user):
    """The ids of the accounts where `user` holds a finance role; None for a superuser (every account)."""
    if user.is_active and user.is_superuser:
        return None
    return {account_id for account_id, role in member_roles(user).items() if role in FINANCE_ROLES}


def exports_visible_with(account_ids, queryset=None):
    """Exports all of whose accounts are in `account_ids` (None: every export). Two EXISTS, no join fan-out."""
    queryset = FinanceExport.objects.all() if queryset is None else queryset
    if account_ids is None:
        return queryset
    if not account_ids:
        return queryset.none()
    links = FinanceExport.accounts.through.objects.filter(financeexport_id=OuterRef("pk"))
    return queryset.filter(Exists(links.filter(brandaccount_id__in=list(account_ids))),
                           ~Exists(links.exclude(brandaccount_id__in=list(account_ids))))


def check_finance_role(user, account_ids):
    """Refuse unless `user` holds a finance role in every account of `account_ids`."""
    allowed = finance_account_ids(user)
    if allowed is None:
        return
    missing = set(account_ids) - allowed
    if missing:
        raise ExportRefused("Only the managers and finance people of an account may export its figures or close "
                            "its periods; ask one of them, or a manager to give you the finance role.")
