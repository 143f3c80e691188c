"""The local executor: its sandbox policy (policy.py: jail, cgroups, user), languages
(languages.py), runners (runners.py: the fork server, a process per test) and the thin
executor that composes them. May import executors.base, sandbox and the core."""
