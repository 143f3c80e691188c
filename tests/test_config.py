"""The config: its fingerprint covers every verdict-affecting field; check args round-trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click
import pytest

from batch_eval.cli.judge import check
from batch_eval.cli.options import config_from
from batch_eval.config import CheckConfig

CHANGED: dict[str, Any] = {
    "executor": "piston",
    "endpoints": ("http://x:1",),
    "endpoints_file": Path("fleet.txt"),
    "ks": (5, 20),
    "time_limit": 3.0,
    "memory_limit": 512,
    "time_multiplier": 2.0,
    "time_scale_auto": True,
    "cxx_flags": "-std=gnu++20 -O2",
    "testlib": "/opt/testlib/testlib.h",
    "output_limit_mb": 8,
    "process_limit": 8,
    "compare": "tokens",
    "float_tolerance": 1e-3,
    "checker_convention": "testlib",
    "generated_tests_dir": Path("gen"),
    "max_generated_tests": -1,
    "all_tests": True,
    "mbpp_challenge": True,
    "limit": 5,
    "sample": 3,
    "seed": 9,
    "python": "/usr/bin/python3",
    "python_runner": "process",
    "piston_retries": 1,
    "piston_timeout": 5.0,
    "piston_wait": 7.0,
    "piston_concurrency": 3,
    "jobs": 3,
    "cache": False,
    "test_order": "given",
    "piston_batch": False,
    "cache_dir": Path("c"),
    "after": "2024-01-01",
    "id_field": "question",
    "code_field": "response",
}


def test_every_field_is_covered_by_this_test() -> None:
    names = {f.name for f in dataclasses.fields(CheckConfig)} - {"problems"}
    # a new field must be added here: then it is checked against the fingerprint below
    assert names == set(CHANGED)


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_fingerprint_changes_exactly_for_verdict_affecting_fields(name: str) -> None:
    base = CheckConfig(problems=Path("p.jsonl"))
    changed = dataclasses.replace(base, **{name: CHANGED[name]})
    differs = base.fingerprint("d") != changed.fingerprint("d")
    assert differs == (name not in CheckConfig.RUNTIME_ONLY)


def test_fingerprint_follows_the_problems_content() -> None:
    base = CheckConfig(problems=Path("p.jsonl"))
    assert base.fingerprint("a") != base.fingerprint("b")


def test_a_checker_gets_the_run_s_config_whole() -> None:
    """`run` hands its config to each checker as JSON: every field comes back equal."""
    original = CheckConfig(problems=Path("p.jsonl"), **CHANGED)
    assert original != CheckConfig(problems=Path("p.jsonl"))
    ctx = check.make_context("check", ["s.jsonl", "-o", "out", "--config-json", original.to_json()])
    assert CheckConfig.from_json(ctx.params["config_json"]) == original


def test_piston_without_endpoint_is_a_usage_error() -> None:
    ctx = check.make_context("check", ["s.jsonl", "-o", "o", "--problems", "p", "--executor", "piston"])
    params = {k: v for k, v in ctx.params.items() if k not in ("solutions", "output_dir", "quiet", "stem")}
    with pytest.raises(click.UsageError, match="--endpoint"):
        config_from(params)
