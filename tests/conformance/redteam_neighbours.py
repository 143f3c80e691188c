"""Red team, the neighbours' family: programs judged beside another record's (records in
flight: `--jobs N` lanes locally, requests in flight on Piston) that try to slow it or to
read it. Each pair is adjacent in the corpus, so that paths with records in flight run them
side by side (and the others one after the other: then nothing may be left behind).

- a CPU and memory hog (forked spinners, 100 MB touched) beside a program that needs 0.5 s
  of its 1 s CPU limit: the neighbour stays AC (CPU time decides TLE, a wall kill is run
  again patiently, each lane's memory is its own cgroup's);
- a bait that publishes its test's input (the spy's answer, marked) everywhere a neighbour might
  look (/tmp, /dev/shm, an abstract socket, System V shared memory, its own command line)
  and waits, beside a spy that searches those places and every visible process's stdin and
  command line for it: the spy must not find it (WA). Judged where a program is jailed.
"""

from __future__ import annotations

from tests.conformance.cases import AC, TLE, WA, Case, stdio
from tests.conformance.redteam_jail import token

HOG_PY = r"""
import os, time
block = bytearray(100 << 20)
for i in range(0, len(block), 4096):
    block[i] = 1
for _ in range(3):
    if os.fork() == 0:
        break
while True:
    pass
"""

TIMED_PY = r"""
import time
a, b = map(int, input().split())
while time.process_time() < 0.5:
    pass
print(a + b)
"""

SPY_ANSWER = token("rt-nb-spy")

BAIT_PY = r"""
import os, socket, sys, time
secret = sys.stdin.read().strip()
for folder in ("/tmp", "/dev/shm", os.getcwd()):
    try:
        with open(os.path.join(folder, "rt-nb-secret"), "w") as f:
            f.write(secret)
        os.chmod(os.path.join(folder, "rt-nb-secret"), 0o644)
    except OSError:
        pass
try:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0rt-nb-secret")
    server.listen(4)
    server.settimeout(0.1)
except OSError:
    server = None
try:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    shm = libc.shmget(0x5EC12E7, 4096, 0o1666)
    if shm >= 0:
        libc.shmat.restype = ctypes.c_void_p
        address = libc.shmat(shm, None, 0)
        ctypes.memmove(address, secret.encode(), len(secret))
except Exception:
    pass
sys.argv.append(secret)
deadline = time.monotonic() + 2.5
while time.monotonic() < deadline:
    if server is not None:
        try:
            conn, _ = server.accept()
            conn.sendall(secret.encode())
            conn.close()
        except OSError:
            pass
    else:
        time.sleep(0.1)
print("ok")
"""

SPY_PY = r"""
import glob, os, re, socket, sys, time
MARKED = re.compile(rb"rt-nb:([0-9a-f]{16})")
mine = sys.stdin.buffer.read()

def look(data):
    for found in MARKED.findall(data or b""):
        if found not in mine:
            return found.decode()
    return None

def read(path):
    try:
        with open(path, "rb") as f:
            return f.read(1 << 16)
    except OSError:
        return b""

def search():
    for path in glob.glob("/tmp/**", recursive=True) + glob.glob("/dev/shm/*"):
        if (found := look(read(path))):
            return found
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            for name in ("fd/0", "cmdline", "environ"):
                if (found := look(read(f"/proc/{pid}/{name}"))):
                    return found
    try:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.settimeout(0.2)
        client.connect("\0rt-nb-secret")
        if (found := look(client.recv(64))):
            return found
    except OSError:
        pass
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        shm = libc.shmget(0x5EC12E7, 4096, 0)
        if shm >= 0:
            libc.shmat.restype = ctypes.c_void_p
            if (found := look(ctypes.string_at(libc.shmat(shm, None, 0o10000), 64))):
                return found
    except Exception:
        pass
    return None

deadline = time.monotonic() + 2.0
found = None
while found is None and time.monotonic() < deadline:
    found = search()
    time.sleep(0.05)
print(found or "none")
"""

CASES: list[Case] = [
    Case(
        "rt-nb-hog",
        stdio("rt-nb-hog", [("1 2\n", "3\n")], time_limit=1.0, memory_limit=128),
        HOG_PY,
        frozenset({TLE}),
    ),
    Case(
        "rt-nb-timed",
        stdio("rt-nb-timed", [("1 2\n", "3\n"), ("10 20\n", "30\n")], time_limit=1.0),
        TIMED_PY,
        frozenset({AC}),
    ),
    Case(
        "rt-nb-bait",
        stdio("rt-nb-bait", [(f"rt-nb:{SPY_ANSWER}\n", "ok\n")], time_limit=3.0),
        BAIT_PY,
        frozenset({AC}),
        needs_jail=True,
    ),
    Case(
        "rt-nb-spy",
        stdio("rt-nb-spy", [(f"q-{token('rt-nb-spy-q')}\n", f"{SPY_ANSWER}\n")], time_limit=3.0),
        SPY_PY,
        frozenset({WA}),
        needs_jail=True,
    ),
]
