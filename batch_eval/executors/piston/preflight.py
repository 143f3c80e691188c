"""What the Piston executor learns from a server before a run: its runtimes, whether it
takes our limits and bodies, how much output it keeps, the largest run_timeout it allows.
Each failure is one line saying what to change on the server or in the options."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests

from batch_eval.errors import BatchEvalError
from batch_eval.executors.base import Limits
from batch_eval.executors.languages import LANGUAGES
from batch_eval.executors.piston.client import PistonClient, error_message, why

PISTON_LANGUAGES = {name: lang.piston for name, lang in LANGUAGES.items()}
#: our Piston package, to install on a server (docs/piston.md)
PACKAGE_DIR = Path(__file__).parent / "package"
#: the languages our Piston package provides, by the names it lists them under
PACKAGE_LANGUAGES = {
    "c": "batch-eval-c",
    "cpp": "batch-eval-c++",
    "rust": "batch-eval-rust",
    "java": "batch-eval-java",
}
#: the package's major version this client's requests are written for
PACKAGE_MAJOR = 1


PACKAGED = "+package"


def packaged(language: str) -> str:
    """The key under which `runtimes` gives our package's runtime for `language`."""
    return language + PACKAGED


def language_of(key: str) -> str:
    """Our language behind a key of `runtimes` (its own, or its package runtime's)."""
    return key.removesuffix(PACKAGED)


#: the fields a server checks against its configured maximums (PISTON_RUN_TIMEOUT, ...), and
#: what is asked of each at first: over any server's maximum worth the name (an hour, 1 TB)
CAPPED = {
    "run_timeout": 3_600_000,
    "run_cpu_time": 3_600_000,
    "compile_timeout": 3_600_000,
    "compile_cpu_time": 3_600_000,
    "run_memory_limit": 1 << 40,
}
_REFUSED = re.compile(r"(\w+) cannot exceed the configured limit of (\d+)")


def caps(client: PistonClient, url: str, body: dict[str, Any]) -> dict[str, int | None]:
    """The server's maximum for each field of CAPPED (ms, bytes), read from its refusals: a
    value over a maximum is refused (400) with "FIELD cannot exceed the configured limit of
    N", a field a refusal, so `body` is sent with CAPPED's values, then with each refusal's
    maximum in its place, until the server takes it. None: no maximum (CAPPED's value was
    taken; an older Piston has no CPU maximums); {} when the server did not say."""
    asked = dict(CAPPED)
    found: dict[str, int | None] = {}
    for _ in range(len(CAPPED) + 1):
        try:
            reply = client.post_once(url, {**body, **asked})
        except requests.RequestException:
            return {}
        if reply.status_code == 200:
            return {key: found.get(key) for key in CAPPED}
        refused = _REFUSED.search(error_message(reply))
        if refused is None or refused.group(1) not in asked or refused.group(1) in found:
            return {}
        found[refused.group(1)] = asked[refused.group(1)] = int(refused.group(2))
    return {}


def runtimes(client: PistonClient, url: str) -> dict[str, tuple[str, str]]:
    """Our languages -> (Piston's language, its newest version) on the server at `url`; and,
    under `packaged(language)`, our package's runtime for it when the server has the package
    at the major version this client speaks."""
    try:
        reply = client.get(url, "/api/v2/runtimes")
    except requests.RequestException as exc:
        raise BatchEvalError(
            f"cannot reach Piston at {url}: {why(exc)} — start it or pass --endpoint"
        ) from None
    if reply.status_code != 200:
        raise BatchEvalError(f"Piston at {url} answered {reply.status_code} to /api/v2/runtimes")
    try:
        listed = reply.json()
    except ValueError:
        raise BatchEvalError(f"Piston at {url}: /api/v2/runtimes is not JSON") from None
    found: dict[str, tuple[str, str]] = {}
    for ours, names in PISTON_LANGUAGES.items():
        matching = [
            r
            for r in listed
            if isinstance(r, dict) and (r.get("language") in names or set(names) & set(r.get("aliases", [])))
        ]
        if matching:
            best = max(matching, key=lambda r: _version_key(str(r.get("version", "0"))))
            found[ours] = (str(best["language"]), str(best["version"]))
    for ours, name in PACKAGE_LANGUAGES.items():
        versions = [
            str(r.get("version", "0"))
            for r in listed
            if isinstance(r, dict)
            and r.get("language") == name
            and _version_key(str(r.get("version", "0")))[:1] == (PACKAGE_MAJOR,)
        ]
        if versions:
            found[packaged(ours)] = (name, max(versions, key=_version_key))
    if "python" not in found:
        raise BatchEvalError(f"Piston at {url} has no python runtime installed")
    return found


def probe(client: PistonClient, url: str, body: dict[str, Any], limits: Limits) -> dict[str, Any] | None:
    """The server's answer to a test run of `body`, None when the body was too large; a
    refusal of our limits or a server that does not answer is one clear error."""
    try:
        reply = client.post_once(url, body)
    except requests.RequestException as exc:
        raise BatchEvalError(f"cannot reach Piston at {url}: {why(exc)}") from None
    if reply.status_code == 400:
        message = error_message(reply)
        if "PayloadTooLarge" in message:
            return None
        raise BatchEvalError(
            f"Piston at {url} refuses our limits ({message}): the problem limits need "
            f"run_timeout {int(limits.wall * 1000)} ms and run_memory_limit "
            f"{limits.memory_mb * 1024 * 1024} bytes; raise the server's maximums "
            "or lower --time-limit/--memory-limit"
        )
    if reply.status_code != 200:
        raise BatchEvalError(f"Piston at {url} answered HTTP {reply.status_code} to a test run")
    try:
        answer: dict[str, Any] = reply.json()
    except ValueError:
        raise BatchEvalError(f"Piston at {url} answered a test run with non-JSON") from None
    return answer


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))
