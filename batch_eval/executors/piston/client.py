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
MAX_COOLDOWN_S = 60.0


class Endpoints:
    """Round-robin over the endpoints, leaving out those that stopped answering.

    An endpoint that failed to connect (refused, reset, timed out) DOWN_AFTER times in a
    row is down: its work goes to the others, and it gets one request again after a
    cooldown that doubles up to a minute. Busy answers (429, 503) are not failures of the
    connection: they are retried with backoff on the same rotation. When every endpoint
    is down, requests fail at once (IE) instead of each waiting out its retries.
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
        """The next endpoint to send to, or None when every one is down."""
        with self._lock:
            now = self.clock()
            for _ in range(len(self.urls)):
                url = self.urls[next(self._next)]
                if self.down_until.get(url, 0.0) <= now:
                    return url
            return None

    def ok(self, url: str) -> None:
        with self._lock:
            self._ok(url)

    def failed(self, url: str) -> None:
        with self._lock:
            self._failed(url)

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
            cooldown = min(MAX_COOLDOWN_S, 2.0 ** (n - DOWN_AFTER))
            self.down_until[url] = self.clock() + cooldown
            if n == DOWN_AFTER:
                others = "its work goes to the others" if len(self.urls) > 1 else "requests fail as IE"
                print(
                    f"batch-eval: Piston at {url} is down ({n} failed connections): {others}; "
                    "it is tried again now and then",
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
    (429, 502-504, a bare 500) or a failed connection is tried again, elsewhere when it can
    be; every other refusal is final. Counts the requests it sent."""

    def __init__(
        self,
        endpoints: Sequence[str],
        retries: int,
        timeout: float,
        backoff: float,
        session: requests.Session | None,
        budget: SharedBudget | None,
        connections: int = 8,
    ) -> None:
        self.retries = retries
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
        """The JSON answer of /execute, retried with backoff over the endpoints."""
        last = "no attempt"
        delay = 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(max(delay, self.backoff * 2 ** (attempt - 1)))
            delay = 0.0
            self._refresh()
            url = self.health.pick()
            if url is None:
                raise PistonUnavailable(
                    f"every Piston endpoint is down ({self.health.status()}); last: {last}"
                )
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
                continue
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
                    last = f"{url}: answer is not JSON"
                    continue
                # a failed compile stage comes without a run stage
                if isinstance(answer, dict) and (
                    isinstance(answer.get("run"), dict) or isinstance(answer.get("compile"), dict)
                ):
                    return answer
                last = f"{url}: answer without a run stage"
                continue
            message = error_message(reply)
            if reply.status_code in RETRY_STATUSES or (reply.status_code == 500 and not message):
                last = f"{url}: HTTP {reply.status_code}"
                delay = _retry_after(reply)
                continue
            if "PayloadTooLarge" in message:
                raise PistonUnavailable(
                    f"{url}: request over the server's JSON body limit: raise the server's JSON body limit"
                )
            raise PistonUnavailable(f"{url}: HTTP {reply.status_code}: {message[:200]}")
        raise PistonUnavailable(f"Piston failed after {self.retries + 1} attempts: {last}")

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
