"""WSGI entry point (gunicorn config.wsgi)."""

import os
import sys

from django.core.wsgi import get_wsgi_application

from config import embedded_redis
from config.env import EnvError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

try:
    application = get_wsgi_application()
    # The web uses Redis (enqueues, /healthz): start the embedded server if the settings use it.
    embedded_redis.ensure_running_if_embedded()
except EnvError as error:
    sys.exit(f"chorus: configuration error: {error}")
