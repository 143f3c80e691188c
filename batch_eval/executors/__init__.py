"""Executors: run one program against many test inputs, locally or on Piston, in any language of
languages.py; raw outcomes become verdicts in outcome.py. May import the core only."""

from __future__ import annotations

from batch_eval.executors.base import Execution, Executor, Limits, Program, ProgramRun

__all__ = ["Execution", "Executor", "Limits", "Program", "ProgramRun"]
