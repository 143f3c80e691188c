"""The Piston executor: its HTTP client (retries, endpoints, budget), its requests (bodies.py),
the verdicts of the answers (mapping.py), and the thin executor that composes them. May
import executors.base, executors.outcome, sandbox (to send the launcher) and the core."""
