"""Who is visiting: the first-party visitor cookie that ties touches of one browser together, and the client IP."""

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
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
    )


def client_ip(request):
    """REMOTE_ADDR, or with TRUSTED_PROXY_COUNT=N the Nth address from the right of X-Forwarded-For.

    Counting from the right means a client cannot forge its way in by sending
    its own X-Forwarded-For: our proxies append to it, so the left part is
    whatever the client said and is ignored.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
