"""A tiny per-process cache with a time limit, for hot public paths.

A viral post sends thousands of visitors to one link or landing page within
seconds; keeping the last answer for a few seconds in each web process turns
those into one database read per process per few seconds. The price is that a
change takes up to `seconds` to show, which callers document. Entries are plain
Python objects: nothing is serialised, and nothing is shared between processes.
"""

import time


class RecentCache:
    def __init__(self, *, max_entries=10_000):
        self.max_entries = max_entries
        self.entries = {}

    def get(self, key):
        entry = self.entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key, value, *, seconds):
        if seconds <= 0:
            return
        if len(self.entries) >= self.max_entries:
            self.entries.clear()  # crude but bounded; a full cache is rare and refills in seconds
        self.entries[key] = (time.monotonic() + seconds, value)

    def clear(self):
        self.entries.clear()
