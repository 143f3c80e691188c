"""Judging: problems and solutions read, programs judged test by test (compare, checker), verdicts
counted and cached. May import executors, config and the core; nothing of batch or reporting."""
