from django.shortcuts import render

from accounts.models import BrandAccount


def home(request):
    """The brand's front door: its accounts and their handles, and the way in."""
    kind_order = {kind: index for index, kind in enumerate(BrandAccount.Kind.values)}
    accounts = sorted(
        BrandAccount.objects.filter(active=True).prefetch_related("handles"),
        key=lambda account: (kind_order[account.kind], account.name),
    )
    return render(request, "accounts/home.html", {"accounts": accounts})
