"""The error of a guidance source file that cannot be loaded, shared by the modules that check one."""

from __future__ import annotations


class GuidanceError(Exception):
    """A source file that cannot be loaded; names the file and, where known, the line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        super().__init__(message)
        self.path, self.line, self.message = path, line, message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"
