"""Official rules: generated from a giveaway's fields and free text, frozen per round as a RulesVersion.

A round keeps the version that stood when it opened: `freeze_rules()` is called by
`rounds.open_round()` and makes a new version only when the generated text differs from
the latest one, so an edit made while a round is open applies from the next round, and
the rules page can say which version governs which round.
"""

from dataclasses import asdict, dataclass

from django.db.models import Max

from promotions import recurrence
from promotions.models import Mission, RulesVersion

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def country_list(text):
    """Upper-case two-letter codes from a comma-separated field; anything else is ignored by callers' forms."""
    return [code.strip().upper() for code in (text or "").split(",") if code.strip()]


def schedule_in_words(giveaway):
    time = giveaway.opens_at_local_time.strftime("%H:%M") if giveaway.opens_at_local_time else "?"
    zone = giveaway.campaign.owner_account.timezone
    kind = giveaway.recurrence
    if kind == recurrence.ONCE:
        when = f"one round, opening on {giveaway.opens_on:%Y-%m-%d} at {time}" if giveaway.opens_on else "one round"
    elif kind == recurrence.DAILY:
        when = f"a round every day, opening at {time}"
    elif kind == recurrence.WEEKLY:
        when = f"a round every {WEEKDAYS[giveaway.day_of_week or 0]}, opening at {time}"
    else:
        day = giveaway.day_of_month
        suffix = " (the last day in shorter months)" if day and day > 28 else ""
        when = f"a round every month on day {day}{suffix}, opening at {time}"
    if giveaway.window_hours:
        window = f"Each round takes entries for {giveaway.window_hours} hours from its opening."
    else:
        window = "Each round takes entries until the next round opens; the last one until the campaign ends."
    return f"The giveaway runs {when}, {zone} time. {window}"


def rules_text(giveaway):
    """The official rules as they would read now, as plain text with numbered sections."""
    campaign = giveaway.campaign
    account = campaign.owner_account
    zone = account.timezone
    start = f"{campaign.starts_at:%Y-%m-%d %H:%M} UTC" if campaign.starts_at else "not yet scheduled"
    end = f"{campaign.ends_at:%Y-%m-%d %H:%M} UTC" if campaign.ends_at else "not yet scheduled"
    allowed, denied = country_list(giveaway.allowed_countries), country_list(giveaway.denied_countries)
    eligibility = [f"Open to people aged {giveaway.minimum_age} or over"]
    eligibility.append(f"living in {', '.join(allowed)}" if allowed else "in any country where the law allows it")
    if denied:
        eligibility.append(f"except residents of {', '.join(denied)}")
    missions = list(giveaway.missions.order_by("position", "pk"))
    how = [f"- {mission.title}: {mission.entries} {'entry' if mission.entries == 1 else 'entries'}"
           f"{' (required)' if mission.required else ''}" for mission in missions] or ["- No missions yet."]
    has_purchase = any(mission.kind == Mission.Kind.PURCHASE for mission in missions)
    free = giveaway.free_entry_method.strip() or (
        "Every mission except a purchase is free. No purchase is necessary to enter or win; "
        "a purchase does not improve the chances of winning beyond the entries stated."
    )
    limit = (f"Each person can earn at most {giveaway.entry_limit_per_person} entries per round."
             if giveaway.entry_limit_per_person else "There is no limit on entries per person beyond the missions.")
    sections = [
        ("Sponsor", giveaway.sponsor or account.name),
        ("Dates", f"The campaign “{campaign.name}” runs from {start} to {end}. {schedule_in_words(giveaway)}"),
        ("Eligibility", ", ".join(eligibility) + ". Staff and members of the sponsor's accounts cannot enter."
         + (" People who won an earlier round cannot win again." if giveaway.exclude_past_winners else "")
         + " One person is one participant, whichever address spelling or account they use."),
        ("How to enter", "Sign in with your email address or a social account and complete missions:\n"
         + "\n".join(how) + f"\n{limit}"),
        ("Free method of entry", ("NO PURCHASE NECESSARY. " if has_purchase else "") + free),
        ("Odds", "The chance of winning depends on how many entries are received in a round: each entry is "
         "one chance, weighted by the entries a person earned."),
        ("Prizes", f"{giveaway.winners_per_round} winner(s) per round. {giveaway.title}. "
         f"Approximate retail value per winner: {giveaway.prize_value} {giveaway.currency}."
         + (f"\n{giveaway.prize_description.strip()}" if giveaway.prize_description.strip() else "")),
        ("How winners are drawn and verified",
         "When a round opens, the SHA-256 commitment of a secret random seed is published on this page. When it "
         "closes, the eligible entries are frozen and digested, and winners and "
         f"{giveaway.alternates_per_round} alternate(s) are drawn by weight without replacement from the seed and "
         "the digest. The seed, the digest, a file of entrant pseudonyms and weights, and the result are published "
         "on the round's draw page, so anyone can re-run the draw. Entries held by a fraud rule count only once "
         "cleared."),
        ("Claiming", f"Winners are told by email and have {giveaway.claim_days} days to claim the prize. A winner "
         "who does not claim in time or is not eligible is replaced by the next alternate."),
    ]
    if giveaway.rules_text.strip():
        sections.append(("Additional rules", giveaway.rules_text.strip()))
    lines = [f"Official rules — {giveaway.title}", f"Times are in UTC unless stated; rounds follow {zone} time.", ""]
    for number, (heading, body) in enumerate(sections, start=1):
        lines += [f"{number}. {heading}", body, ""]
    return "\n".join(lines).strip() + "\n"


@dataclass(frozen=True)
class Terms:
    """The figures the official rules promise for a round, frozen when it opens (Round.terms).

    Entering, drawing and claiming read these from the round, never from the giveaway as it is now, so
    an edit made while a round is open applies from the next round, like the rules text.
    """

    winners: int
    alternates: int
    claim_days: int
    minimum_age: int
    allowed_countries: tuple
    denied_countries: tuple
    exclude_past_winners: bool
    entry_limit_per_person: int | None
    required_mission_ids: tuple


def current_terms(giveaway):
    """The giveaway's terms as its fields say now (one query for the required missions)."""
    return Terms(
        winners=giveaway.winners_per_round, alternates=giveaway.alternates_per_round,
        claim_days=giveaway.claim_days, minimum_age=giveaway.minimum_age,
        allowed_countries=tuple(country_list(giveaway.allowed_countries)),
        denied_countries=tuple(country_list(giveaway.denied_countries)),
        exclude_past_winners=giveaway.exclude_past_winners,
        entry_limit_per_person=giveaway.entry_limit_per_person,
        required_mission_ids=tuple(giveaway.missions.filter(required=True).order_by("pk").values_list("pk", flat=True)),
    )


def terms_as_json(terms):
    return {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(terms).items()}


def terms_of(round):
    """The terms frozen when `round` opened (a round made without them, by hand, gets the current ones)."""
    frozen = round.terms
    if not frozen:
        return current_terms(round.giveaway)
    return Terms(**{name: tuple(value) if isinstance(value, list) else value for name, value in frozen.items()})


def freeze_rules(*, giveaway, at):
    """The RulesVersion for a round opening now: the latest one if the text is unchanged, else a new one.

    Called inside the transaction that creates the round, after the giveaway row is locked, so two
    openings cannot both add a version.
    """
    text = rules_text(giveaway)
    latest = giveaway.rules_versions.order_by("-number").first()
    if latest is not None and latest.text == text:
        return latest
    number = (giveaway.rules_versions.aggregate(highest=Max("number"))["highest"] or 0) + 1
    return RulesVersion.objects.create(giveaway=giveaway, number=number, text=text, created_at=at)
