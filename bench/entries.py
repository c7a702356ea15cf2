"""Mission completions per second through the real view, and the signed-in giveaway page.

Baselines, same gunicorn server and settings, same run, on PostgreSQL:
- completions: `POST /g/<slug>/missions/<id>/` (promotions:mission-complete) against a
  bare Django view that does one INSERT for the signed-in user and redirects
  (`/bare/entry/<id>/`, bench/benchsite/views.py). Target ≥ 0.5×.
- page: `GET /g/<slug>/` (promotions:giveaway-detail) for a signed-in participant against
  a bare view that reads one row by primary key and renders a small template for the
  signed-in user (`/bare/signed-in/<pk>/`). Target ≥ 0.5×.

Every POST is a real new completion: the seed signs in several thousand eligible
participants (a session each, as django.contrib.auth.login() leaves it) and the
load generator walks through every (mission, person) pair once — the giveaway's six
missions: two secret codes, a quiz, a proof link, the daily visit, the newsletter —
with the person's session, CSRF and visitor cookies, never repeating a pair across
rounds. The script then checks that the entry table grew by the number of answered
requests, so an answer that wrote nothing cannot pass as a completion.

Each person posts from their own address (`X-Forwarded-For`, with the server set to
trust one proxy, as behind a load balancer), so the per-IP velocity limit and the
shared-network fraud rule see many people, as in production, and are not switched
off. Load comes from `wrk` with a Lua script cycling through the prepared requests
(the Python client if wrk is missing); the figures say which.

    .venv/bin/python bench/entries.py [--quick]
"""

import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from harness import (
    PHONE_USER_AGENT,
    alternate,
    bench_environment,
    django_shell,
    gunicorn,
    options_from_arguments,
    print_setup,
    report,
)

CONNECTIONS = 8

SEED = """
import json
from bench.seed import seed_giveaway_people
print(json.dumps(seed_giveaway_people(people=%d)))
"""

COUNT_ROWS = """
import json
from bench.benchsite.models import BareEntry
from promotions.models import Entry, Flag
print(json.dumps({"entries": Entry.objects.count(), "bare": BareEntry.objects.count(),
                  "held": Entry.objects.filter(status=Entry.Status.HELD).count(), "flags": Flag.objects.count()}))
"""

# One request per line of the data file (after `--`: its path, the line to start after, the user agent),
# walked in order: method, path, cookies, forwarded-for address, body.
LUA = r"""
local requests = {}
local counter = 0
local user_agent
statuses = {}

function init(args)
  local offset = tonumber(args[2])
  user_agent = args[3]
  local number = 0
  for line in io.lines(args[1]) do
    number = number + 1
    if number > offset then
      local method, path, cookie, address, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      local headers = {["Cookie"] = cookie, ["User-Agent"] = user_agent, ["X-Forwarded-For"] = address}
      if method == "POST" then
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      else
        body = nil
      end
      requests[#requests + 1] = wrk.format(method, path, headers, body)
    end
  end
end

function request()
  -- Past the end the walk wraps around; the script refuses that run (repeats are no new completions).
  counter = counter % #requests + 1
  return requests[counter]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      io.write(string.format("status %d %d\n", status, count))
    end
  end
end
"""


def address_of(number):
    """A different /24 network for each person: 10.<high>.<low>.1."""
    return f"10.{number // 256 % 256}.{number % 256}.{1 + number // 65536}"


def request_lines(seeded, *, path_of, method):
    """The data file's lines: for POST every (mission, person) pair once, mission by mission; for GET every person."""
    names, csrf = seeded["cookies"], seeded["csrf"]

    def line(number, person, path, body=""):
        cookies = (f"{names['session']}={person['session']}; {names['csrf']}={csrf}; "
                   f"{names['visitor']}={person['visitor']}")
        return "\t".join([method, path, cookies, address_of(number), body])

    if method == "GET":
        return [line(number, person, path_of(None)) for number, person in enumerate(seeded["people"])]
    return [line(number, person, path_of(mission),
                 urlencode({"csrfmiddlewaretoken": csrf, **mission["fields"]}))
            for mission in seeded["missions"] for number, person in enumerate(seeded["people"])]


class Walk:
    """Requests of one data file, each used once across rounds (POST), or over and over (GET)."""

    def __init__(self, folder, name, lines, *, once, expected):
        self.path = Path(folder) / f"{name}.tsv"
        self.path.write_text("\n".join(lines) + "\n")
        self.lines, self.once, self.expected = lines, once, expected
        self.offset = 0
        self.answered = 0

    def measure(self, base, seconds):
        """A measure for alternate(): requests/s for `seconds`, from where the previous round stopped."""

        def run():
            if self.once and self.offset >= len(self.lines):
                raise RuntimeError(f"{self.path.name}: every prepared completion was used; seed more people")
            offset = self.offset if self.once else 0
            rate, statuses = load(base, self.path, offset, seconds, self.lines[offset:])
            unexpected = {status: count for status, count in statuses.items() if status not in self.expected}
            if unexpected:
                raise RuntimeError(f"{self.path.name}: unexpected answers {unexpected}")
            answered = sum(statuses.values())
            self.answered += answered
            if self.once:
                # Requests still in flight when the round ended may have been served: never reuse them.
                self.offset += answered + CONNECTIONS
                if self.offset > len(self.lines) + CONNECTIONS:
                    raise RuntimeError(f"{self.path.name}: the walk wrapped around (repeated completions); "
                                       "seed more people")
            return rate

        return run


def load(base, path, offset, seconds, lines):
    """(requests/s, {status: count}) walking the data file from `offset` for `seconds`."""
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(LUA)
            script.flush()
            command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", script.name, base,
                       "--", str(path), str(offset), PHONE_USER_AGENT]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        statuses = {int(status): int(count) for status, count in re.findall(r"^status (\d+) (\d+)$", output, re.M)}
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), statuses
    return python_load(base, lines, seconds)


def python_load(base, lines, seconds):
    """The fallback client: CONNECTIONS threads taking the next line in turn, one keep-alive connection each."""
    import http.client

    parts = urlsplit(base)
    statuses, lock, position = {}, threading.Lock(), [0]
    stop = time.monotonic() + seconds

    def worker():
        connection = http.client.HTTPConnection(parts.hostname, parts.port)
        while time.monotonic() < stop:
            with lock:
                method, path, cookies, address, body = lines[position[0] % len(lines)].split("\t")
                position[0] += 1
            headers = {"Cookie": cookies, "User-Agent": PHONE_USER_AGENT, "X-Forwarded-For": address}
            if method == "POST":
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body.encode() if method == "POST" else None, headers=headers)
            response = connection.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(statuses.values()) / seconds, statuses


def main():
    arguments, seconds, pairs = options_from_arguments(__doc__)
    if arguments.quick:
        seconds = 1  # two comparisons of 2 × 6 rounds: 1 s rounds keep --quick under a minute
    # Enough (mission, person) pairs for every POST round at up to ~1,000 completions/s.
    people = 1_500 if arguments.quick else 10_000
    with bench_environment() as env:
        seeded = json.loads(django_shell(env, SEED % people).splitlines()[-1])
        slug, page = seeded["slug"], seeded["page"]
        before = json.loads(django_shell(env, COUNT_ROWS).splitlines()[-1])
        server_env = {**env, "TRUSTED_PROXY_COUNT": "1"}
        tool = "wrk (Lua script)" if shutil.which("wrk") else "python client"
        with tempfile.TemporaryDirectory(prefix="chorus-bench-entries-") as folder, gunicorn(server_env) as base:
            ours = Walk(folder, "ours", request_lines(seeded, method="POST",
                                                      path_of=lambda mission: f"/g/{slug}/missions/{mission['id']}/"),
                        once=True, expected={302, 303})
            bare = Walk(folder, "bare", request_lines(seeded, method="POST",
                                                      path_of=lambda mission: f"/bare/entry/{mission['id']}/"),
                        once=True, expected={302, 303})
            completions = alternate({"ours": ours.measure(base, seconds), "bare": bare.measure(base, seconds)},
                                    pairs=pairs)
            page_walk = Walk(folder, "page", request_lines(seeded, method="GET", path_of=lambda _: f"/g/{slug}/"),
                             once=False, expected={200})
            bare_page = Walk(folder, "bare-page",
                             request_lines(seeded, method="GET", path_of=lambda _: f"/bare/signed-in/{page}/"),
                             once=False, expected={200})
            pages = alternate({"ours": page_walk.measure(base, seconds), "bare": bare_page.measure(base, seconds)},
                              pairs=pairs)
        after = json.loads(django_shell(env, COUNT_ROWS).splitlines()[-1])

        # Every answered POST wrote its row (up to the requests in flight when a round ended).
        rounds = pairs + 1  # with alternate()'s warm-up round
        for name, walk, table in (("ours", ours, "entries"), ("bare", bare, "bare")):
            written = after[table] - before[table]
            if not walk.answered <= written <= walk.answered + CONNECTIONS * rounds:
                raise RuntimeError(f"{name}: {walk.answered} answered completions but {written} rows written")

        print_setup(tool=tool, seconds=seconds, pairs=pairs)
        print(f"# {people:,} signed-in participants × {len(seeded['missions'])} missions prepared; "
              f"{after['entries'] - before['entries']:,} entries written through the view "
              f"({after['held'] - before['held']:,} held by a fraud rule, {after['flags'] - before['flags']:,} flags)",
              flush=True)
        report("mission_completion_vs_bare_signed_in_insert", completions["ours"], completions["bare"], "req/s",
               ">=0.5")
        report("giveaway_page_signed_in_vs_bare_signed_in_page", pages["ours"], pages["bare"], "req/s", ">=0.5")


if __name__ == "__main__":
    main()
