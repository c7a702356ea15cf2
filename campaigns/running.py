"""Which brand accounts run a campaign: the owner, plus the co-running accounts it invites.

Two rules, kept here so the admin, the demo, duplicates and later apps all go
through the same checks:

- the owner is never also among the co-running accounts;
- a tracking link (and later anything posted "by an account" for a campaign)
  belongs to an account that runs the campaign.

Neither can be a database constraint: both compare a row with rows of another
table (the co-account table, the campaign's owner), which a CHECK cannot see.
So every writer calls these functions, and the click path re-checks at click
time (a link whose account stopped running the campaign no longer redirects).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.models import TrackingLink


def running_account_ids(campaign):
    """Ids of the accounts running `campaign`: the owner and its co-running accounts (one query)."""
    ids = {campaign.owner_account_id}
    if campaign.pk is not None:
        ids |= set(campaign.co_accounts.values_list("pk", flat=True))
    return ids


def co_accounts_problem(*, owner, co_accounts):
    """None, or a sentence when the owner is also listed among the co-running accounts."""
    if owner is not None and any(account.pk == owner.pk for account in co_accounts):
        return f"{owner} owns the campaign already; pick only the other accounts."
    return None


def link_account_problem(*, campaign, account, running_ids=None):
    """None, or a sentence when `account` does not run `campaign`.

    `running_ids` lets a caller checking many links pass `running_account_ids()` once.
    """
    running_ids = running_account_ids(campaign) if running_ids is None else running_ids
    if account.pk not in running_ids:
        return (f"{account} does not run this campaign; add it as a co-running account first, save, "
                "then add its links.")
    if not account.active:
        return f"{account} is switched off; links of inactive accounts do not redirect."
    return None


@transaction.atomic
def set_co_accounts(*, campaign, accounts):
    """Make `accounts` the campaign's co-running accounts, refusing the owner."""
    problem = co_accounts_problem(owner=campaign.owner_account, co_accounts=accounts)
    if problem:
        raise ValidationError({"co_accounts": problem})
    campaign.co_accounts.set(accounts)


def add_tracking_link(*, campaign, account, platform=TrackingLink.Platform.OTHER, channel=TrackingLink.Channel.POST,
                      label="", destination_url=""):
    """Create a tracking link for an account running `campaign` (blank destination: the campaign's page)."""
    problem = link_account_problem(campaign=campaign, account=account)
    if problem:
        raise ValidationError({"account": problem})
    link = TrackingLink(campaign=campaign, account=account, platform=platform, channel=channel, label=label,
                        destination_url=destination_url)
    link.full_clean()  # the destination's safety and the one-link-per-place constraint
    link.save()
    return link
