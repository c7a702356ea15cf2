"""The prize value of a whole series of rounds, against the giveaway's registration threshold.

Some places count every round of a recurring giveaway as one game: New York and Florida
require registering (and bonding) a game of chance whose prizes total more than $5,000.
So the admin adds up prize value × winners per round × rounds, counting the rounds held
so far and those the schedule still plans inside the campaign's dates, and warns when the
total passes `Giveaway.registration_threshold` (in the giveaway's currency).
"""

from dataclasses import dataclass
from decimal import Decimal

from promotions import recurrence


@dataclass(frozen=True)
class SeriesTotal:
    per_round: Decimal
    rounds_held: int
    rounds_planned: int
    total: Decimal
    threshold: Decimal
    currency: str
    note: str  # why the planned rounds could not be counted, or ""

    @property
    def rounds(self):
        return self.rounds_held + self.rounds_planned

    @property
    def crosses_threshold(self):
        return self.total > self.threshold

    def in_words(self):
        rounds = f"{self.rounds} round{'s' if self.rounds != 1 else ''}"
        return (f"{self.total:,.2f} {self.currency}: {rounds} ({self.rounds_held} held, {self.rounds_planned} "
                f"planned) × {self.per_round:,.2f} {self.currency} of prizes per round.")

    def warning(self):
        """The sentence the admin shows when the series passes the threshold, or ""."""
        if not self.crosses_threshold:
            return ""
        return (f"The prizes of this series add up to {self.total:,.2f} {self.currency}, more than the registration "
                f"threshold of {self.threshold:,.2f} {self.currency}. New York and Florida require registering "
                "(and bonding) a giveaway above $5,000: register it before the first round opens, exclude those "
                "states under eligibility, or lower the prizes or the number of rounds.")


def series_total(giveaway, *, rounds_held=None, held_openings=None):
    """The series total of `giveaway`: rounds held (rows) plus windows its schedule still plans.

    `rounds_held` and `held_openings` (the opens_at of the held rounds) may be passed by a page
    that has read the rounds already; otherwise one query reads them.
    """
    if held_openings is None:
        held_openings = set(giveaway.rounds.values_list("opens_at", flat=True)) if giveaway.pk else set()
    rounds_held = len(held_openings) if rounds_held is None else rounds_held
    planned, note = planned_rounds(giveaway, held_openings)
    per_round = Decimal(giveaway.prize_value or 0) * (giveaway.winners_per_round or 0)
    return SeriesTotal(per_round=per_round, rounds_held=rounds_held, rounds_planned=planned,
                       total=per_round * (rounds_held + planned), threshold=Decimal(giveaway.registration_threshold),
                       currency=giveaway.currency, note=note)


def planned_rounds(giveaway, held_openings):
    """(windows of the schedule not yet held, note) — the schedule's windows inside the campaign's dates."""
    campaign = giveaway.campaign
    if campaign.starts_at is None or campaign.ends_at is None:
        return 0, "The campaign has no dates yet, so only rounds held so far are counted."
    try:
        windows = recurrence.round_windows(recurrence=giveaway.schedule(), tz_name=campaign.owner_account.timezone,
                                           starts_at=campaign.starts_at, ends_at=campaign.ends_at)
    except ValueError as problem:
        return 0, f"The schedule cannot be read ({problem}), so only rounds held so far are counted."
    return sum(1 for window in windows if window.opens_at not in held_openings), ""
