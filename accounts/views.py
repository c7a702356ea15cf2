from django.shortcuts import render

from accounts.models import BrandAccount


def home(request):
    """The brand's front door: its accounts and their handles, and the way in."""
    accounts = BrandAccount.objects.filter(active=True).prefetch_related("handles").order_by("kind", "name")
    return render(request, "accounts/home.html", {"accounts": accounts})
