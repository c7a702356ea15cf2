"""The admin's campaign calendar page: every campaign of the user's accounts by month."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import BrandAccount
from campaigns.calendar import month_bounds, month_weeks
from campaigns.models import Campaign

Status = Campaign.Status


def calendar_view(model_admin, request):
    """All campaigns of the user's accounts by month, so a marketer sees what every account runs when."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in request.GET.get("month", f"{today:%Y-%m}").split("-"))
        if not 2000 <= year <= 2100:
            raise ValueError(year)
        first, last = month_bounds(year, month)
    except ValueError:
        model_admin.message_user(request, "Pick the month as YYYY-MM between 2000 and 2100, e.g. 2026-12.",
                          messages.ERROR)
        return redirect(reverse("admin:campaigns_campaign_calendar"))
    # A day's margin either side covers every time zone's view of the month.
    window_start = datetime.datetime.combine(first, datetime.time(), datetime.UTC) - datetime.timedelta(days=8)
    window_end = datetime.datetime.combine(last, datetime.time(), datetime.UTC) + datetime.timedelta(days=8)
    campaigns = (model_admin.visible_campaigns(request)
                 .filter(starts_at__lt=window_end, ends_at__gt=window_start)
                 .exclude(status=Status.ARCHIVED).order_by("starts_at"))
    previous_month = first - datetime.timedelta(days=1)
    next_month = last + datetime.timedelta(days=1)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Campaign calendar — {first:%B %Y}",
        "opts": model_admin.model._meta,
        "weeks": month_weeks(campaigns=campaigns, year=year, month=month),
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "previous_month": f"{previous_month:%Y-%m}",
        "next_month": f"{next_month:%Y-%m}",
        "accounts": BrandAccount.objects.filter(pk__in=campaigns.values("owner_account")),
    }
    return TemplateResponse(request, "admin/campaigns/calendar.html", context)
