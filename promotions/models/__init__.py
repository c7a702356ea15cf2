"""The promotions tables: giveaways (giveaways.py) and referral-discount offers (referrals.py)."""

from promotions.models.giveaways import (  # noqa: F401
    Draw,
    Entry,
    EntryTally,
    Flag,
    Giveaway,
    Mission,
    NewsletterConsent,
    Participant,
    Referral,
    Round,
    RoundEvent,
    RulesVersion,
    Winner,
    WinnerEvent,
    new_referral_code,
    new_salt,
)
from promotions.models.referrals import (  # noqa: F401
    GroupMember,
    LedgerEntry,
    ReferralGroup,
    ReferralItem,
    ReferralOffer,
    ReferralTier,
    TierChange,
    new_share_code,
)
