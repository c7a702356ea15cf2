"""What an export was asked for, as stored in `FinanceExport.parameters` (the job reads only these).

A period is a pair of dates, both included, in UTC or one account's time zone: 1–30 November in
Asia/Seoul is [2026-10-31T15:00Z, 2026-11-30T15:00Z). The instants are stored too, so a later change
of an account's time zone changes no export.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from attribution.exports.columns import COLUMNS_VERSION


def period_bounds(starts_on, ends_on, timezone_name):
    """[start, end) in UTC of the dates `starts_on`..`ends_on` (both included) in `timezone_name`."""
    zone = zoneinfo.ZoneInfo(timezone_name)
    starts_at = datetime.datetime.combine(starts_on, datetime.time(0), tzinfo=zone).astimezone(datetime.UTC)
    ends_at = datetime.datetime.combine(ends_on + datetime.timedelta(days=1), datetime.time(0),
                                        tzinfo=zone).astimezone(datetime.UTC)
    return starts_at, ends_at


def iso(instant):
    return instant.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def from_iso(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Parameters:
    starts_on: datetime.date
    ends_on: datetime.date
    timezone: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    accounts: tuple
    campaigns: tuple
    model: str
    closed_period: int | None = None
    columns_version: int = COLUMNS_VERSION

    def as_json(self):
        return {"columns_version": self.columns_version, "starts_on": self.starts_on.isoformat(),
                "ends_on": self.ends_on.isoformat(), "timezone": self.timezone, "starts_at": iso(self.starts_at),
                "ends_at": iso(self.ends_at), "accounts": list(self.accounts), "campaigns": list(self.campaigns),
                "model": self.model, "closed_period": self.closed_period}

    @classmethod
    def from_json(cls, data):
        return cls(starts_on=datetime.date.fromisoformat(data["starts_on"]),
                   ends_on=datetime.date.fromisoformat(data["ends_on"]), timezone=data["timezone"],
                   starts_at=from_iso(data["starts_at"]), ends_at=from_iso(data["ends_at"]),
                   accounts=tuple(data["accounts"]), campaigns=tuple(data.get("campaigns") or ()),
                   model=data["model"], closed_period=data.get("closed_period"),
                   columns_version=data.get("columns_version", COLUMNS_VERSION))

    @classmethod
    def of(cls, export):
        return cls.from_json(export.parameters)
