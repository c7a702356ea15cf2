"""Chorus's own settings plus the baseline views and pinax-referrals, for bench/ only."""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchsite", "pinax.referrals"]  # noqa: F405
ROOT_URLCONF = "bench.benchsite.urls"
PINAX_REFERRALS_ALLOWED_REDIRECT_HOSTS = []
