"""`/g/<slug>/rules/`: the official rules that govern the current round, every version and the rounds it governs,
the current round's seed commitment and the draws so far.

Rules are frozen per round (promotions/rules.py): the text shown is the RulesVersion of the round open now, or
of the latest round between rounds. Before any round has opened there is no version yet, so the page shows the
text as it would be generated today, marked provisional. Who may see it follows the giveaway page.
"""

from django.db.models import Max, Min
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from campaigns.views.landing import allow_own_styles, style_sources
from promotions import rounds
from promotions.models import Draw, Round
from promotions.rules import rules_text
from promotions.views.giveaways import visible_giveaway


@require_safe
def rules_page(request, slug):
    giveaway, preview = visible_giveaway(request, slug)
    at = timezone.now()
    current = rounds.current_round(giveaway, at)
    governing = current or Round.objects.filter(giveaway=giveaway).select_related("rules_version").order_by(
        "-number").first()
    versions = giveaway.rules_versions.annotate(first_round=Min("rounds__number"), last_round=Max("rounds__number"))
    draws = Draw.objects.filter(round__giveaway=giveaway).select_related("round").order_by("round__number")
    html = render_to_string("promotions/rules.html", {
        "giveaway": giveaway, "campaign": giveaway.campaign, "owner": giveaway.campaign.owner_account,
        "preview": preview, "current": current, "governing": governing,
        "text": governing.rules_version.text if governing else rules_text(giveaway),
        "provisional": governing is None,
        "versions": versions.order_by("number"), "draws": draws,
    }, request=request)
    response = HttpResponse(html)
    patch_cache_control(response, private=True, no_cache=True)
    return allow_own_styles(response, style_sources(html))
