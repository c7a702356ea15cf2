"""The client's IP address, trusting X-Forwarded-For only as far as our own proxies."""

from django.conf import settings


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
