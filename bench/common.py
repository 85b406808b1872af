"""What every part of the bench shares: where the project is, the host, the error type."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The tools of the interpreter running the bench, i.e. the project's virtualenv.
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


class BenchError(RuntimeError):
    """Something the bench needs did not work: the run is broken, not slow."""

    @classmethod
    def of_process(cls, what, done, lines=12):
        """From a failed subprocess.run: the last line of its output (a traceback's exception)
        as the cause, then the tail of the output."""
        output = (done.stdout + done.stderr).strip().splitlines() or ["(no output)"]
        return cls(f"{what} failed: {output[-1]}\n" + "\n".join(output[-lines:]))


def module_figures(module, *args, env=None, stdin=None):
    """The JSON a bench module prints when run as its own process (`python -m MODULE ARGS`,
    in the repository, with `env` if given and `stdin` as its input); BenchError if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError.of_process(module, done)
    return json.loads(done.stdout)
