"""Campaign times: wall-clock entry in the owner account's time zone, and the sweep that follows them.

Marketers think in their account's local time ("the 10th at 10:00 in Seoul"),
so forms take a naive local date-time and `to_utc()` converts it, refusing the
two kinds of local time that daylight saving makes unsafe: a time that does
not exist (clocks jump forward) and one that happens twice (clocks go back).

`advance_due_campaigns()` is the every-minute sweep: it moves due campaigns
scheduled → live → ended through the status machine. Editing dates needs no
job cancelling; running the sweep twice, or on two workers at once, changes
nothing the second time, because every change is a conditional UPDATE.
"""

import datetime
import zoneinfo

from django.utils import timezone

from campaigns.models import Campaign
from campaigns.status import StatusChangeRefused, change_status

Status = Campaign.Status


class WallClockError(ValueError):
    """The local time cannot be turned into one instant; the message says why."""


def to_utc(local, tz_name):
    """A naive local date-time in `tz_name` → an aware UTC date-time, or WallClockError."""
    tz = zoneinfo.ZoneInfo(tz_name)
    early = local.replace(tzinfo=tz, fold=0)
    late = local.replace(tzinfo=tz, fold=1)
    round_trip = early.astimezone(datetime.UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != local:
        raise WallClockError(
            f"{local:%Y-%m-%d %H:%M} does not exist in {tz_name}: the clocks jump forward that night. "
            "Pick a time outside the skipped hour."
        )
    if early.utcoffset() != late.utcoffset():
        raise WallClockError(
            f"{local:%Y-%m-%d %H:%M} happens twice in {tz_name}: the clocks go back that night. "
            "Pick a time outside the repeated hour."
        )
    return early.astimezone(datetime.UTC)


def to_local(instant, tz_name):
    """An aware instant → the naive wall-clock time in `tz_name` (for showing and editing)."""
    return timezone.localtime(instant, zoneinfo.ZoneInfo(tz_name)).replace(tzinfo=None)


def advance_due_campaigns(*, at=None):
    """Start and end every campaign that is due at `at`; returns how many status changes this call made."""
    at = at or timezone.now()
    changes = 0
    due_to_start = Campaign.objects.filter(status=Status.SCHEDULED, starts_at__lte=at, ends_at__gt=at)
    for campaign in due_to_start.only("pk", "status", "starts_at", "ends_at", "name"):
        changes += apply(campaign, Status.LIVE, at)
    due_to_end = Campaign.objects.filter(status__in=[Status.SCHEDULED, Status.LIVE, Status.PAUSED], ends_at__lte=at)
    for campaign in due_to_end.only("pk", "status", "starts_at", "ends_at", "name"):
        changes += apply(campaign, Status.ENDED, at)
    return changes


def apply(campaign, to, at):
    try:
        return int(change_status(campaign=campaign, to=to, at=at, note="by the scheduler"))
    except StatusChangeRefused:
        return 0  # another worker or a person changed it first; the next sweep looks again
