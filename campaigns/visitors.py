"""The first-party visitor cookie that ties touches of one browser together."""

import uuid

from django.conf import settings


def visitor_id_from(request):
    """The visitor id from the cookie, or None when there is none or it was tampered with."""
    try:
        return uuid.UUID(request.COOKIES.get(settings.VISITOR_COOKIE_NAME, ""))
    except ValueError:
        return None


def set_visitor_cookie(response, request, visitor_id):
    response.set_cookie(
        settings.VISITOR_COOKIE_NAME,
        str(visitor_id),
        max_age=settings.VISITOR_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure() or not settings.DEBUG,
    )
