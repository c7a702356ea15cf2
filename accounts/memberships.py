"""Who works on which brand account, and in what role."""

from django.db import transaction

from accounts.models import Membership, User


def member_roles(user):
    """{account id: role} for a user's memberships; one query."""
    if not user.is_authenticated or not user.is_active:
        return {}
    return dict(Membership.objects.filter(user=user).values_list("account_id", "role"))


@transaction.atomic
def add_member(*, account, user, role):
    """Give `user` a role in `account` (or change it) and let them into the admin."""
    membership, _ = Membership.objects.update_or_create(user=user, account=account, defaults={"role": role})
    if not user.is_staff:
        User.objects.filter(pk=user.pk).update(is_staff=True)
        user.is_staff = True
    return membership


@transaction.atomic
def remove_member(*, account, user):
    """Take `user` off `account`. Their admin access ends with their last membership (superusers keep theirs)."""
    Membership.objects.filter(user=user, account=account).delete()
    if user.is_staff and not user.is_superuser and not Membership.objects.filter(user=user).exists():
        User.objects.filter(pk=user.pk).update(is_staff=False)
        user.is_staff = False
