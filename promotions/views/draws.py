"""`/g/<slug>/draws/<id>/` (the proof of a draw) and its `entrants.txt`.

Public for every drawn round of a campaign that is not a draft (a draft never ran, so its
draws are nobody's business); everything else is the friendly 404. The page re-runs the draw
from the stored, published data (drawing.verify_stored_draw). That reads and hashes the whole
entrants file — about 3 s for a million entrants — so each web process keeps a draw's
verification for VERIFICATION_CACHE_SECONDS: a visitor burst costs one check per process, and
a file or result changed behind our back shows as a failure within that time.
"""

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from campaigns.models import Campaign
from campaigns.schedules import to_local
from campaigns.views.landing import allow_own_styles, style_sources
from common.addresses import absolute_url
from common.recent import RecentCache
from promotions.drawing import verify_stored_draw
from promotions.models import Draw, Round, Winner

VERIFICATION_CACHE_SECONDS = 60
recent_verifications = RecentCache(max_entries=500)


def load_draw(slug, draw_id):
    """The draw with its round, giveaway, campaign and owner account, or Http404: one query."""
    draw = (Draw.objects.select_related("round__giveaway__campaign__owner_account")
            .filter(pk=draw_id, round__giveaway__slug=slug, round__status=Round.Status.DRAWN)
            .exclude(round__giveaway__campaign__status=Campaign.Status.DRAFT).first())
    if draw is None:
        raise Http404("No draw here.")
    return draw


def verification_of(draw):
    check = recent_verifications.get(draw.pk)
    if check is None:
        check = verify_stored_draw(draw)
        recent_verifications.put(draw.pk, check, seconds=VERIFICATION_CACHE_SECONDS)
    return check


def entrants_filename(draw):
    return f"{draw.round.giveaway.slug}-round-{draw.round.number}-entrants.txt"


@require_safe
def draw_page(request, slug, draw_id):
    draw = load_draw(slug, draw_id)
    round, giveaway = draw.round, draw.round.giveaway
    owner = giveaway.campaign.owner_account
    places = list(draw.places.select_related("replaces").prefetch_related("events").order_by("place"))
    replacements = {place.replaces_id: place for place in places if place.replaces_id}
    for place in places:
        place.replacement = replacements.get(place.pk)
    html_context = {
        "draw": draw, "round": round, "giveaway": giveaway, "owner": owner,
        "places": places,
        "minus_winners": -draw.winners,
        "Status": Winner.Status,
        "check": verification_of(draw),
        "opens_local": to_local(round.opens_at, owner.timezone),
        "closes_local": to_local(round.closes_at, owner.timezone),
        "drawn_local": to_local(draw.drawn_at, owner.timezone),
        "page_url": absolute_url(draw.get_absolute_url()),
        "entrants_filename": entrants_filename(draw),
        "places_count": draw.winners + draw.alternates,
    }
    response = render(request, "promotions/draw.html", html_context)
    # Statuses change as winners claim and forfeit: browsers revalidate, and nothing here is personal.
    patch_cache_control(response, public=True, max_age=60)
    return allow_own_styles(response, style_sources(response.content.decode()))


@require_safe
def entrants_file(request, slug, draw_id):
    """The published entrants file, byte for byte: `sha256sum` of the download is the draw's digest."""
    draw = load_draw(slug, draw_id)
    try:
        file = draw.entrants_file.open("rb")
    except OSError:
        raise Http404("The entrants file of this draw is missing; the draw page says so too.") from None
    response = FileResponse(file, content_type="text/plain; charset=utf-8", filename=entrants_filename(draw))
    patch_cache_control(response, public=True, max_age=3600)  # frozen at the draw: it never changes
    return response
