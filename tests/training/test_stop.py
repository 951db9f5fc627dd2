"""training.stop: the first Ctrl-C or SIGTERM asks the run to stop after its batch or page; a
second one stops at once. In a fresh process each (see tests/training/test_loop.py on signal
handlers under pytest)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.mark.parametrize(("second", "raised"), [("SIGINT", "KeyboardInterrupt"), ("SIGTERM", "Terminated")])
def test_a_second_signal_stops_at_once(second: str, raised: str) -> None:
    out = run("import signal\n"
              "from training.stop import StopFlag, stop_on_signals\n"
              "with stop_on_signals(StopFlag(), (signal.SIGINT, signal.SIGTERM)) as flag:\n"
              "    signal.raise_signal(signal.SIGINT)\n"
              "    print('first', flag(), flag.signum == signal.SIGINT, flush=True)\n"
              "    try:\n"
              f"        signal.raise_signal(signal.{second})\n"
              "        print('ignored')\n"
              "    except BaseException as exc:\n"
              "        print('raised', type(exc).__name__)\n"
              "print('restored', signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["first True True", f"raised {raised}", "restored True"]

