#!/usr/bin/env python
"""Django's command-line utility for Chorus."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from config.env import EnvError

    try:
        execute_from_command_line(sys.argv)
    except EnvError as error:
        sys.exit(f"chorus: configuration error: {error}")


if __name__ == "__main__":
    main()
