"""Option types of our own: each refuses a bad value in one line naming the option."""

from __future__ import annotations

import math
from typing import Any

import click


class ShellWords(click.ParamType):  # type: ignore[type-arg]
    """A string split like a shell's words (kept whole; refused when it cannot be split)."""

    name = "words"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import shlex

        try:
            shlex.split(str(value))
        except ValueError as exc:
            self.fail(f"{value!r} cannot be split into words like a shell's ({exc})", param, ctx)
        return str(value)


class Finite(click.FloatRange):
    """A float range that also refuses nan and infinity (which every comparison lets through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class Multiplier(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A number of at least 0.1, `auto`, or `auto*NUMBER`: (auto, number)."""

    name = "FLOAT|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        text = str(value).strip()
        auto = text == "auto" or text.startswith("auto*")
        number_text = text[len("auto*") :] if text.startswith("auto*") else ("1" if auto else text)
        try:
            number = float(number_text)
        except ValueError:
            self.fail(f"{value!r} is not a number, auto or auto*NUMBER", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if number < 0.1:
            self.fail(f"{number} is below 0.1", param, ctx)
        return auto, number


class EndpointURL(click.ParamType):  # type: ignore[type-arg]
    """A Piston server's address: http(s)://host[:port][/path]."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from urllib.parse import urlsplit

        text = str(value).strip()
        if text == "slurm":  # the fleet's workers as Slurm lists them (executors/piston/discovery.py)
            return text
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            self.fail(f"{text!r} is not a URL ({exc})", param, ctx)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            hint = f": write http://{text}" if "://" not in text else ""
            self.fail(f"{text!r} is not an http(s) URL{hint}", param, ctx)
        return text.rstrip("/")


class KList(click.ParamType):  # type: ignore[type-arg]
    """Comma-separated k of pass@k, each at least 1: `1,10,100` -> [1, 10, 100]."""

    name = "K[,K...]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, list):
            return value
        try:
            ks = sorted({int(part) for part in str(value).split(",") if part.strip()})
        except ValueError:
            self.fail(f"{value!r} is not a list of whole numbers like 1,10,100", param, ctx)
        if not ks or ks[0] < 1:
            self.fail(f"{value!r}: each k is a whole number of at least 1 (e.g. 1,10)", param, ctx)
        return ks
