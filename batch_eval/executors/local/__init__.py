"""The local executor: a jail (namespaces, cgroups, another user), runners (the fork server,
a process per test) and the C++ compiler. May import executors.base, sandbox and the core."""
