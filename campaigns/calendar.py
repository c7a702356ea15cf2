"""The month calendar of campaigns shown in the admin: which account runs what, when."""

import calendar
import datetime
from dataclasses import dataclass, field

from django.db.models import Q

from campaigns.models import Campaign
from campaigns.schedules import to_local


@dataclass
class Day:
    date: datetime.date
    in_month: bool
    campaigns: list = field(default_factory=list)


def month_bounds(year, month):
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    return first, last


def run_by(campaigns, *, account):
    """The campaigns among `campaigns` that `account` owns or co-runs.

    A subquery for the co-running side, not a join, so a campaign is listed once however many
    accounts co-run it. Narrows, never widens: pass only campaigns the user may see.
    """
    co_run = Campaign.objects.filter(co_accounts=account).values("pk")
    return campaigns.filter(Q(owner_account=account) | Q(pk__in=co_run))


def month_weeks(*, campaigns, year, month):
    """Weeks (Monday first) of Days, each listing the campaigns running that day in their owner's time zone.

    `campaigns` must have starts_at and ends_at and their owner_account loaded;
    one pass over them, whatever the number of days.
    """
    weeks = [[Day(date=date, in_month=date.month == month) for date in week]
             for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)]
    days = {day.date: day for week in weeks for day in week}
    for campaign in campaigns:
        tz_name = campaign.owner_account.timezone
        start = to_local(campaign.starts_at, tz_name).date()
        # An end at local midnight means the campaign ran until the end of the day before.
        end_local = to_local(campaign.ends_at, tz_name)
        end = (end_local - datetime.timedelta(microseconds=1)).date()
        date = max(start, weeks[0][0].date)
        while date <= min(end, weeks[-1][-1].date):
            days[date].campaigns.append(campaign)
            date += datetime.timedelta(days=1)
    return weeks
