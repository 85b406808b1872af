"""What every part of the bench shares: where the project is, the host, the error type."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The tools of the interpreter running the bench, i.e. the project's virtualenv.
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


class BenchError(RuntimeError):
    """Something the bench needs did not work: the run is broken, not slow."""
