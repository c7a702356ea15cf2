"""The admin's campaign calendar page: every campaign of the user's accounts by month."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import BrandAccount
from accounts.scoping import is_superuser, roles_of
from campaigns.calendar import month_bounds, month_weeks, run_by
from campaigns.models import Campaign

Status = Campaign.Status


def calendar_view(model_admin, request):
    """All campaigns of the user's accounts by month, so a marketer sees what every account runs when.

    `?account=<id>` narrows it to the campaigns one of the user's accounts owns or co-runs; it only
    ever narrows what `visible_campaigns` allows, so no id shows another team's campaigns.
    """
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
    accounts = filterable_accounts(request)
    chosen_account = chosen(request, accounts)
    if chosen_account is None and request.GET.get("account"):
        # The same words for an unknown id and another team's: the page must not confirm which exists.
        model_admin.message_user(request, "That account is not one of yours, so the calendar shows all your "
                                          "accounts. Pick one from the list to narrow it.", messages.WARNING)
    # A day's margin either side covers every time zone's view of the month.
    window_start = datetime.datetime.combine(first, datetime.time(), datetime.UTC) - datetime.timedelta(days=8)
    window_end = datetime.datetime.combine(last, datetime.time(), datetime.UTC) + datetime.timedelta(days=8)
    campaigns = (model_admin.visible_campaigns(request)
                 .filter(starts_at__lt=window_end, ends_at__gt=window_start)
                 .exclude(status=Status.ARCHIVED).order_by("starts_at"))
    if chosen_account is not None:
        campaigns = run_by(campaigns, account=chosen_account)
    weeks = month_weeks(campaigns=campaigns, year=year, month=month)
    previous_month = first - datetime.timedelta(days=1)
    next_month = last + datetime.timedelta(days=1)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Campaign calendar — {first:%B %Y}",
        "opts": model_admin.model._meta,
        "weeks": weeks,
        "weekdays": [("Mon", "Monday"), ("Tue", "Tuesday"), ("Wed", "Wednesday"), ("Thu", "Thursday"),
                     ("Fri", "Friday"), ("Sat", "Saturday"), ("Sun", "Sunday")],
        "month": f"{first:%Y-%m}",
        "previous_month": f"{previous_month:%Y-%m}",
        "next_month": f"{next_month:%Y-%m}",
        "accounts": accounts,
        "chosen_account": chosen_account,
        "any_this_month": any(day.campaigns for week in weeks for day in week if day.in_month),
    }
    return TemplateResponse(request, "admin/campaigns/calendar.html", context)


def filterable_accounts(request):
    """The accounts the user is a member of (superusers: every account), for the account filter."""
    accounts = BrandAccount.objects.order_by("name")
    return accounts if is_superuser(request) else accounts.filter(pk__in=list(roles_of(request)))


def chosen(request, accounts):
    """The account named by `?account=`, if it is one of `accounts`; None for none, a foreign or a bad id."""
    account_id = request.GET.get("account", "")
    if not account_id.isdigit():
        return None
    return next((account for account in accounts if account.pk == int(account_id)), None)
