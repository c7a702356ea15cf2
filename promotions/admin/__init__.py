"""The giveaways admin, one module per page family (imported here so Django's autodiscovery finds them).

Importing `giveaways` also puts the list of a campaign's giveaways on the campaign page.
"""

from promotions.admin import entries, flags, giveaways, participants, rounds, winners  # noqa: F401
