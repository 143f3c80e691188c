"""The HTTP side of the Piston executor: POST /execute with retries and backoff over the
endpoints that still answer, within the per-endpoint budget shared with the other checkers,
and the reasons of a failure in words."""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests
import requests.adapters

from batch_eval.errors import BatchEvalError
from batch_eval.executors.piston.budget import SharedBudget

RETRY_STATUSES = frozenset({429, 502, 503, 504})


class PistonUnavailable(Exception):
    """A request that failed for reasons outside the program: becomes IE."""


#: a listed endpoint that did not serve our runtimes is asked again after this long
REFUSED_RETRY_S = 300.0
#: how often a fleet's list (an endpoints file, squeue) is read again while a check runs
REFRESH_S = 30.0
DOWN_AFTER = 3  # consecutive connection failures that take an endpoint out of the rotation
#: the longest a down endpoint waits before it is asked again (a restarted server takes ~1-2 s)
MAX_COOLDOWN_S = 8.0
#: how long a request waits for a server that stopped answering before it is IE (--piston-wait)
WAIT_S = 120.0


class Endpoints:
    """Round-robin over the endpoints, leaving out those that stopped answering.

    An endpoint that failed to connect (refused, reset, timed out) DOWN_AFTER times in a
    row is down: its work goes to the others, and after a cooldown (half a second, doubling
    up to MAX_COOLDOWN_S) one request alone is let through to see whether it is back. Busy
    answers (429, 503) are not failures of the connection: they are retried with backoff on
    the same rotation. When every endpoint is down, `pick` says when the next one may be
    asked (`next_try`), and the request waits for it.
    """

    def __init__(self, urls: Sequence[str], clock: Any = time.monotonic) -> None:
        self.urls = list(urls)
        self.clock = clock
        self.failures = {url: 0 for url in self.urls}
        self.down_until: dict[str, float] = {}
        self._next = itertools.cycle(range(len(self.urls)))
        self._lock = threading.Lock()  # a check's threads share the rotation and the counts
        self._refused: dict[str, float] = {}  # listed endpoints that did not serve our runtimes

    def pick(self) -> str | None:
        """The next endpoint to send to, or None when every one is down. A down endpoint
        whose cooldown is over is given to one caller alone (its probe): the others keep
        waiting until that request says whether it is back."""
        with self._lock:
            now = self.clock()
            for _ in range(len(self.urls)):
                url = self.urls[next(self._next)]
                until = self.down_until.get(url)
                if until is None:
                    return url
                if until <= now:
                    self.down_until[url] = now + self._cooldown(url)
                    return url
            return None

    def next_try(self) -> float:
        """When (on `clock`) a down endpoint may next be asked."""
        with self._lock:
            return min(self.down_until.values(), default=self.clock())

    def ok(self, url: str) -> None:
        with self._lock:
            self._ok(url)

    def failed(self, url: str) -> None:
        with self._lock:
            self._failed(url)

    def _cooldown(self, url: str) -> float:
        return min(MAX_COOLDOWN_S, 0.5 * 2.0 ** max(0, self.failures.get(url, 0) - DOWN_AFTER))

    def _ok(self, url: str) -> None:
        if self.failures.get(url):
            if url in self.down_until:
                print(f"batch-eval: Piston at {url} answers again", file=sys.stderr, flush=True)
            self.failures[url] = 0
            self.down_until.pop(url, None)

    def _failed(self, url: str) -> None:
        self.failures[url] = self.failures.get(url, 0) + 1
        n = self.failures[url]
        if n >= DOWN_AFTER:
            self.down_until[url] = self.clock() + self._cooldown(url)
            if n == DOWN_AFTER:
                others = "its work goes to the others" if len(self.urls) > 1 else "requests wait for it"
                print(
                    f"batch-eval: Piston at {url} is down ({n} failed connections): {others}; "
                    "it is tried again every few seconds",
                    file=sys.stderr,
                    flush=True,
                )

    def status(self) -> str:
        return ", ".join(f"{url}: {self.failures[url]} failed connections" for url in self.urls)

    def update(self, urls: Sequence[str], accept: Callable[[str], bool]) -> None:
        """The fleet as listed now: endpoints no longer listed leave the rotation, new ones
        join it once `accept(url)` says they serve the same runtimes (a refused one is asked
        again after REFUSED_RETRY_S)."""
        now = self.clock()
        fresh = [
            u
            for u in urls
            if u not in self.urls and self._refused.get(u, -REFUSED_RETRY_S) + REFUSED_RETRY_S <= now
        ]
        joined = []
        for url in fresh:  # outside the lock: a new server's check takes a request
            if accept(url):
                joined.append(url)
            else:
                self._refused[url] = now
        with self._lock:
            kept = [u for u in self.urls if u in urls]
            if kept == self.urls and not joined:
                return
            self.urls = kept + joined
            self.failures = {u: self.failures.get(u, 0) for u in self.urls}
            self.down_until = {u: t for u, t in self.down_until.items() if u in self.urls}
            self._next = itertools.cycle(range(len(self.urls)))
        print(
            f"batch-eval: Piston endpoints now {len(self.urls)} ({len(joined)} joined, "
            f"{len(fresh) - len(joined)} refused)",
            file=sys.stderr,
            flush=True,
        )


class PistonClient:
    """POSTs to /api/v2/execute on the healthy endpoints, retried with backoff: a busy answer
    (429, 502-504, a bare 500) is tried again up to `retries` times, a failed connection for
    up to `wait` seconds, elsewhere when it can be; every other refusal is final. Counts the
    requests it sent."""

    def __init__(
        self,
        endpoints: Sequence[str],
        retries: int,
        timeout: float,
        backoff: float,
        session: requests.Session | None,
        budget: SharedBudget | None,
        connections: int = 8,
        wait: float = WAIT_S,
    ) -> None:
        self.retries = retries
        self.wait = wait  # how long a server that stopped answering is waited for
        self.timeout = timeout
        self.backoff = backoff
        if session is None:  # a kept-alive connection per request in flight, from any thread
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=max(16, len(endpoints)), pool_maxsize=connections
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session
        self.session.headers["Content-Type"] = "application/json"
        self.health = Endpoints(endpoints)
        self.budget = budget  # requests in flight per endpoint, shared with the other checkers
        self.requests_sent = 0
        self._count_lock = threading.Lock()
        # a fleet that changes: (list the endpoints now, accept a new one), read every REFRESH_S
        self.fleet: tuple[Callable[[], list[str]], Callable[[str], bool]] | None = None
        self._refreshed = time.monotonic()
        self._refresh_lock = threading.Lock()

    def use(self, endpoints: Sequence[str]) -> None:
        """Send to these endpoints only from now on (those that passed the preflight)."""
        self.health = Endpoints(endpoints)

    def get(self, url: str, path: str) -> requests.Response:
        """One GET, no retry (the preflight's)."""
        return self.session.get(f"{url}{path}", timeout=min(self.timeout, 15))

    def post_once(self, url: str, body: dict[str, Any]) -> requests.Response:
        """One POST /execute to `url`, no retry (the preflight's probes)."""
        return self.session.post(f"{url}/api/v2/execute", data=json.dumps(body), timeout=self.timeout)

    def post(self, payload: str) -> dict[str, Any]:
        """The JSON answer of /execute. A busy or unusable answer is retried with backoff up
        to `retries` times; a failed connection is tried again (elsewhere when another
        endpoint answers) for up to `wait` seconds from the first failure, so a server that
        restarts, or dies and is brought back, costs a wait and no verdict. Then
        PistonUnavailable (IE)."""
        last = "no attempt"
        busy = 0  # unusable answers so far, against `retries`
        failed = 0  # failed connections in a row
        outage: float | None = None  # when the connections began to fail
        delay = 0.0
        while True:
            if delay:
                time.sleep(delay)
            delay = 0.0
            self._refresh()
            url = self.health.pick()
            if url is None:  # every endpoint down: wait for the first one's next try
                now = time.monotonic()
                outage = now if outage is None else outage
                if now - outage >= self.wait:
                    raise PistonUnavailable(
                        f"no Piston endpoint answered for {self.wait:g} s ({self.health.status()}); "
                        f"last: {last}"
                    )
                delay = max(0.05, min(self.health.next_try(), outage + self.wait) - now)
                continue
            with self._count_lock:
                self.requests_sent += 1
            try:
                with self.budget.slot(url) if self.budget else contextlib.nullcontext():
                    reply = self.session.post(f"{url}/api/v2/execute", data=payload, timeout=self.timeout)
            except requests.RequestException as exc:
                last = f"{url}: {why(exc)}"
                self.health.failed(url)
                if self.budget is not None and isinstance(exc, requests.Timeout):
                    self.budget.overloaded(url)
                failed += 1
                outage = time.monotonic() if outage is None else outage
                if failed >= DOWN_AFTER and time.monotonic() - outage >= self.wait:
                    raise PistonUnavailable(
                        f"no Piston endpoint answered for {self.wait:g} s ({self.health.status()}); "
                        f"last: {last}"
                    ) from None
                delay = min(MAX_COOLDOWN_S, self.backoff * 2 ** (failed - 1))
                continue
            failed, outage = 0, None
            self.health.ok(url)
            if self.budget is not None:
                if reply.status_code in (429, 503):
                    self.budget.overloaded(url)
                elif reply.status_code == 200:
                    self.budget.succeeded(url)
            if reply.status_code == 200:
                try:
                    answer = reply.json()
                except ValueError:
                    answer, last = None, f"{url}: answer is not JSON"
                # a failed compile stage comes without a run stage
                if isinstance(answer, dict) and (
                    isinstance(answer.get("run"), dict) or isinstance(answer.get("compile"), dict)
                ):
                    return answer
                if answer is not None:
                    last = f"{url}: answer without a run stage"
            else:
                message = error_message(reply)
                if reply.status_code not in RETRY_STATUSES and (reply.status_code != 500 or message):
                    if "PayloadTooLarge" in message:
                        raise PistonUnavailable(
                            f"{url}: request over the server's JSON body limit: "
                            "raise the server's JSON body limit"
                        )
                    raise PistonUnavailable(f"{url}: HTTP {reply.status_code}: {message[:200]}")
                last = f"{url}: HTTP {reply.status_code}"
                delay = _retry_after(reply)
            busy += 1
            if busy > self.retries:
                raise PistonUnavailable(f"Piston failed after {busy} attempts: {last}")
            delay = max(delay, self.backoff * 2 ** (busy - 1))

    def _refresh(self) -> None:
        """Read the fleet's list again when it is due (one thread does; the others go on)."""
        if self.fleet is None or time.monotonic() - self._refreshed < REFRESH_S:
            return
        if not self._refresh_lock.acquire(blocking=False):
            return
        try:
            self._refreshed = time.monotonic()
            listed, accept = self.fleet
            try:
                urls = listed()
            except BatchEvalError as err:  # the list could not be read: keep the endpoints we have
                print(f"batch-eval: {err}; keeping the endpoints in use", file=sys.stderr, flush=True)
                return
            self.health.update(urls, accept)
        finally:
            self._refresh_lock.release()

    def close(self) -> None:
        self.session.close()


def error_message(reply: requests.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("stack") or "")[:300]
    return str(body)[:300]


def _retry_after(reply: requests.Response) -> float:
    """The wait a busy server asks for (Retry-After in seconds), at most half a minute."""
    try:
        return min(30.0, max(0.0, float(reply.headers.get("Retry-After", 0))))
    except ValueError:
        return 0.0


def why(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "refused" in text.lower():
            return "connection refused"
        return "connection failed"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return type(exc).__name__
