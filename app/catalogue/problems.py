"""Validation problems: what is wrong in an edited data file, and where (a JSON-ish path)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: `path` like ``categories[2].subcategories[1].code``."""

    path: str
    reason: str

    def __str__(self):
        return f"{self.path}: {self.reason}"

    def as_dict(self):
        return {"path": self.path, "reason": self.reason}


class InvalidData(ValueError):
    """A document failed validation; `problems` lists every problem found, not only the first."""

    def __init__(self, what, problems):
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"invalid {what}: {shown}{more}")


def join(path, key):
    """The path of `key` (a name or a list index) inside `path`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def is_int(value):
    """A JSON integer (bool is an int in Python, but not in JSON)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_keys(data, path, required, optional, problems):
    """Report missing required keys and unknown keys (a typo in an admin edit must not pass)."""
    for key in required:
        if key not in data:
            problems.append(Problem(join(path, key), "is required"))
    for key in data:
        if key not in required and key not in optional:
            problems.append(Problem(join(path, str(key)), "is not a known field"))


def check_text(data, path, key, problems, *, max_length=None):
    """A required non-blank string."""
    if key not in data:
        return
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(join(path, key), "must be a non-empty string"))
    elif max_length is not None and len(value) > max_length:
        problems.append(Problem(join(path, key), f"must be at most {max_length} characters"))
