"""What the grader says when it cannot grade: the input, not the solution, is at fault."""
from __future__ import annotations


class BadInput(Exception):
    """The grader cannot grade: a file is missing, unreadable or not Python, or a setting is wrong."""


class SettingsError(BadInput, ValueError):
    """A setting that does not exist, or a value it cannot take: the message names it and what it takes;
    `setting` is its name ("trials", "timeouts.load"), for a front end to name its own option instead."""

    def __init__(self, message: str, setting: str = ""):
        super().__init__(message)
        self.setting = setting
