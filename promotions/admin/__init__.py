"""The promotions admin, one module per page family (imported here so Django's autodiscovery finds them).

Importing `giveaways` and `offers` also puts the campaign's giveaways and referral offers on the campaign page.
"""

from promotions.admin import (  # noqa: F401
    entries,
    flags,
    giveaways,
    groups,
    members,
    offers,
    participants,
    rounds,
    winners,
)
