"""The campaign status machine: every status change goes through `change_status()`.

    draft ⇄ scheduled → live ⇄ paused
                         live, paused → ended → archived;  draft → archived

Each change is a conditional UPDATE on the old status, so two people (or two
sweeps) racing to change the same campaign cannot both win, and each change
writes one CampaignEvent row: the append-only record of who did what, when.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent

Status = Campaign.Status

TRANSITIONS = {
    Status.DRAFT: {Status.SCHEDULED, Status.ARCHIVED},
    Status.SCHEDULED: {Status.DRAFT, Status.LIVE, Status.ENDED},
    Status.LIVE: {Status.PAUSED, Status.ENDED},
    Status.PAUSED: {Status.LIVE, Status.ENDED},
    Status.ENDED: {Status.ARCHIVED},
    Status.ARCHIVED: set(),
}


# What the button for a change says on the campaign page (the list's actions say the same).
STEP_LABELS = {
    Status.DRAFT: "Back to draft",
    Status.SCHEDULED: "Schedule",
    Status.LIVE: "Start now",
    Status.PAUSED: "Pause",
    Status.ENDED: "End now",
    Status.ARCHIVED: "Archive",
}


class StatusChangeRefused(Exception):
    """The change is not allowed; the message says why and what to do instead."""


def next_step_label(current, to):
    """The words on the button that moves a campaign from `current` to `to`."""
    if to == Status.LIVE and current == Status.PAUSED:
        return "Resume"
    return STEP_LABELS[Status(to)]


def local_label(campaign, instant):
    """An instant as the owner account's wall-clock time, naming the zone, for messages people read."""
    from campaigns.schedules import to_local  # schedules imports this module

    tz_name = campaign.owner_account.timezone
    return f"{to_local(instant, tz_name):%Y-%m-%d %H:%M} {tz_name} time"


def check_transition(campaign, to, *, at):
    """Raise StatusChangeRefused with an actionable message if `campaign` may not move to `to` at `at`."""
    current = Status(campaign.status)
    to = Status(to)
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(status.label.lower() for status in TRANSITIONS[current])) or "nothing"
        raise StatusChangeRefused(
            f"“{campaign}” is {current.label.lower()} and cannot become {to.label.lower()}; "
            f"from {current.label.lower()} it can become: {allowed}."
        )
    if to in {Status.SCHEDULED, Status.LIVE} and (campaign.starts_at is None or campaign.ends_at is None):
        raise StatusChangeRefused(f"“{campaign}” needs a start and an end before it can be {to.label.lower()}.")
    if to in {Status.SCHEDULED, Status.LIVE} and campaign.ends_at <= at:
        raise StatusChangeRefused(f"“{campaign}” ended already ({local_label(campaign, campaign.ends_at)}); "
                                  "move its end into the future first.")
    if to == Status.LIVE and current == Status.SCHEDULED and campaign.starts_at > at:
        raise StatusChangeRefused(f"“{campaign}” starts at {local_label(campaign, campaign.starts_at)}; "
                                  "the scheduler makes it live then.")


@transaction.atomic
def change_status(*, campaign, to, by=None, at=None, note=""):
    """Move `campaign` to status `to`, recording who (`by`, None for the scheduler) and when.

    Returns True when this call made the change, False when the campaign was
    already in `to` (so repeating a change is harmless). Raises
    StatusChangeRefused for an illegal change.
    """
    at = at or timezone.now()
    if campaign.status == to:
        return False
    check_transition(campaign, to, at=at)
    changed = Campaign.objects.filter(pk=campaign.pk, status=campaign.status).update(
        status=to, updated_at=at, **({"updated_by": by} if by is not None else {})
    )
    if not changed:
        # Someone else changed it between our read and our write: re-read and decide again.
        campaign.refresh_from_db(fields=["status"])
        if campaign.status == to:
            return False
        raise StatusChangeRefused(f"“{campaign}” was just changed to {campaign.get_status_display().lower()} "
                                  "by someone else; reload and try again.")
    CampaignEvent.objects.create(campaign=campaign, occurred_at=at, actor=by, from_status=campaign.status,
                                 to_status=to, note=note)
    campaign.status = to
    return True


# --- what the status means for the public page (read by campaigns/views/landing.py and later pages) ---


def when_it_ended(campaign):
    """When an ended or archived campaign really ended (not its planned end); None otherwise.

    One query, for ended and archived campaigns only. An archived campaign without an end in its log
    was archived as a draft: it never ended because it never started.
    """
    if not campaign.has_ended():
        return None
    ended_at = campaign.events.filter(to_status=Status.ENDED).aggregate(at=Max("occurred_at"))["at"]
    if ended_at is None and campaign.status == Status.ENDED:
        return campaign.ends_at  # ended before the log existed: the planned end is all we know
    return ended_at


def is_shown_to_the_public(campaign, *, ended_at):
    """Drafts are not; nor is a campaign archived as a draft (it never ran). Every other status is,
    so posted links keep working after a pause or an end. `ended_at` is `when_it_ended(campaign)`."""
    if campaign.status == Status.DRAFT:
        return False
    return not (campaign.status == Status.ARCHIVED and ended_at is None)
