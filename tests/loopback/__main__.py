"""Standalone: ``python tests/loopback`` or ``python -m loopback`` (tests/ on the path).

Prints ``PORT <n>`` on its first stdout line, serves until stdin closes (or SIGTERM), then
prints one JSON line ``{"requests": n, "max_in_flight": m}``.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

if not __package__:  # run as ``python tests/loopback``: import the package from its parent
    HERE = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(HERE.parent))

from loopback import LoopbackServer, Reply
from loopback.server import print_last


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="loopback provider server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=None)
    parser.add_argument("--duration", type=float, default=0.0)
    parser.add_argument("--text", default=None)
    args = parser.parse_args(argv)
    srv = LoopbackServer(args.host, args.port)
    srv.default = Reply(text=args.text, chunks=args.chunks, duration=args.duration)
    srv.start()
    print(f"PORT {srv.port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    srv.stop()
    print_last(json.dumps({"requests": len(srv.requests), "max_in_flight": srv.max_in_flight}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
