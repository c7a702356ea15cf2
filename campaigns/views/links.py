"""`GET /l/<code>`: a tracking-link click records a touch and redirects."""

import uuid

from django.contrib.auth import SESSION_KEY
from django.db import IntegrityError
from django.http import Http404, HttpResponseRedirect
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from campaigns.links import find_clickable_link, redirect_url
from campaigns.models import Touch
from campaigns.touches import CLICK_ID_FIELDS, record_touch, touch_facts_from_request
from campaigns.visitors import client_ip, set_visitor_cookie, visitor_id_from


@require_safe
def follow_link(request, code):
    """`GET /l/<code>`: record a touch and redirect. Two queries (the joined link lookup and the INSERT),
    one while the link is in this process's short-lived cache."""
    link = find_clickable_link(code)
    if link is None:
        raise Http404("This link does not exist or has been switched off.")
    facts = touch_facts_from_request(request, client_ip=client_ip(request))
    known_visitor = visitor_id_from(request)
    visitor_id = known_visitor or uuid.uuid4()
    # The user id straight from the session: loading the user would cost a query per click.
    user_id = request.session.get(SESSION_KEY) if request.COOKIES else None
    touch = {"visitor_id": visitor_id, "campaign": link.campaign, "account": link.account, "link": link,
             "kind": Touch.Kind.LINK_CLICK, "facts": facts}
    try:
        record_touch(user=user_id, **touch)
    except IntegrityError:
        if user_id is None:
            raise
        record_touch(user=None, **touch)  # a session left behind by a deleted user: the click still counts
    response = HttpResponseRedirect(redirect_url(link, extra_parameters={
        name: value for name, value in request.GET.items() if name in CLICK_ID_FIELDS
    }))
    patch_cache_control(response, no_store=True)
    if not facts.is_bot and known_visitor is None:
        set_visitor_cookie(response, request, visitor_id)
    return response

