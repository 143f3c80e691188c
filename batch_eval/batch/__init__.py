"""A batch: checkpoints scanned, a plan made, checkers run in a process pool, the summary kept on
disk (with the run's lock and heartbeat). May import judging, executors, config and the core."""
