"""Staff roles and what each may do in the admin of its account.

A staff user's role is per brand account (Membership). These sets are the one
place the admin's permission checks read; superusers bypass them.
"""

from django.db import models


class Role(models.TextChoices):
    MANAGER = "manager", "Manager"
    MARKETER = "marketer", "Marketer"
    ANALYST = "analyst", "Analyst"
    FINANCE = "finance", "Finance"


# Roles that may create, change and delete the account's campaigns and promotions.
EDITOR_ROLES = frozenset({Role.MANAGER, Role.MARKETER})
# Roles that may change the brand account itself and who its members are.
MANAGER_ROLES = frozenset({Role.MANAGER})
# Roles that see sales, credits and inbox events of the account, and request and download finance exports.
FINANCE_ROLES = frozenset({Role.MANAGER, Role.FINANCE})
# Every role may look at campaigns and promotions; analyst and finance may only look.
ALL_ROLES = frozenset(Role)
