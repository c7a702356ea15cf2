"""`GET /l/<code>`: a tracking-link click records a touch and redirects."""

import uuid

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from campaigns.links import find_clickable_link, redirect_url
from campaigns.models import Touch
from campaigns.touches import record_touch, touch_facts_from_request
from campaigns.visitors import client_ip, set_visitor_cookie, visitor_id_from


@require_safe
def follow_link(request, code):
    """`GET /l/<code>`: record a touch and redirect; `HEAD` gets the same redirect and records nothing.

    Two queries (the joined link lookup and the INSERT), one while the link is in this process's
    short-lived cache; a visitor with a session cookie adds the session and the user.
    """
    link = find_clickable_link(code)
    if link is None:
        raise Http404("This link does not exist or has been switched off.")
    facts = touch_facts_from_request(request, client_ip=client_ip(request))
    # The click ids go on as they were stored (printable, cut to the column's length), never as sent:
    # a 16 KB fbclid would otherwise make a Location header that servers and browsers refuse.
    response = HttpResponseRedirect(redirect_url(link, extra_parameters=facts.click_ids))
    patch_cache_control(response, no_store=True)
    if request.method == "HEAD":
        return response  # link checkers and unfurlers ask with HEAD: nobody followed the link
    known_visitor = visitor_id_from(request)
    visitor_id = known_visitor or uuid.uuid4()
    record_touch(visitor_id=visitor_id, campaign=link.campaign, account=link.account, link=link,
                 kind=Touch.Kind.LINK_CLICK, facts=facts, user=signed_in_user_id(request))
    if not facts.is_bot and known_visitor is None:
        set_visitor_cookie(response, request, visitor_id)
    return response


def signed_in_user_id(request):
    """The signed-in user's id, checked as Django checks it, or None.

    `request.user` verifies the session's password hash (a password change signs other sessions out),
    that the user still exists and is active. No query without a session cookie; with one, the session
    and the user.
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    user = request.user
    return user.pk if user.is_authenticated else None
