"""The Piston executor: the HTTP client (retries, endpoint health, the shared request budget),
request building (batched or per test) and verdict mapping. May import executors.base and the core."""
