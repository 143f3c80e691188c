"""What a user reads: the live display, status and watch, reports, statistics, plots and tracking.
May import batch, judging and the core; only cli/ and the Python API import it."""
