#!/usr/bin/env python
"""Django's command-line utility for Chorus.

Configuration problems end the command with one line naming the variable,
never a traceback: a malformed variable (EnvError) or a database that does not
answer at the address DATABASE_URL gives.
"""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    from config import embedded_redis
    from config.env import EnvError, database_unreachable

    try:
        command = sys.argv[1] if len(sys.argv) > 1 else "help"
        if command in embedded_redis.COMMANDS_THAT_USE_REDIS:
            embedded_redis.ensure_running_if_embedded()
        execute_from_command_line(sys.argv)
    except EnvError as error:
        sys.exit(f"chorus: configuration error: {error}")
    except OperationalError:
        problem = database_unreachable()
        if problem is None:
            raise
        sys.exit(f"chorus: configuration error: {problem}")


if __name__ == "__main__":
    main()
