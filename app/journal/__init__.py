"""The 民情日志: a member's daily log of problems, measures and results."""
