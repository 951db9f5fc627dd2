"""The stop signals inside ``terminate_as_interrupt``: the first stop wins, so the cleanup after it
(temporary files removed, the report written) is not cut short by a second signal. Each case runs
in its own interpreter: a real signal sent to the test runner would stop the suite."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PRELUDE = """
import os, signal, time
from docclean.errors import Terminated
from docclean.signals import terminate_as_interrupt

def send(sig):
    os.kill(os.getpid(), sig)
    time.sleep(0.2)  # the handler runs here, in the main thread
"""


def run(body: str) -> list[str]:
    code = PRELUDE + textwrap.dedent(body)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_a_ctrl_c_or_sigterm_after_a_sigterm_does_not_cut_the_cleanup_short() -> None:
    seen = run("""
        with terminate_as_interrupt():
            try:
                send(signal.SIGTERM)
            except Terminated:
                print("terminated")
                send(signal.SIGINT)
                send(signal.SIGTERM)
                print("cleaned-up")
    """)
    assert seen == ["terminated", "cleaned-up"]


def test_a_sigterm_after_a_ctrl_c_is_ignored_but_a_second_ctrl_c_still_stops() -> None:
    seen = run("""
        with terminate_as_interrupt():
            try:
                send(signal.SIGINT)
            except KeyboardInterrupt:
                print("interrupted")
                send(signal.SIGTERM)
                print("sigterm-ignored")
                try:
                    send(signal.SIGINT)
                except KeyboardInterrupt:
                    print("second-ctrl-c")
    """)
    assert seen == ["interrupted", "sigterm-ignored", "second-ctrl-c"]


def test_the_handlers_before_the_block_come_back_after_it() -> None:
    seen = run("""
        before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
        with terminate_as_interrupt():
            try:
                send(signal.SIGTERM)
            except Terminated:
                pass
        print((signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job of a shell: Ctrl-C ignored
        with terminate_as_interrupt():
            send(signal.SIGINT)
            print("still-ignored")
    """)
    assert seen == ["True", "still-ignored"]
