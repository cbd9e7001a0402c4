"""User-facing error types. Each message says what was wrong and how to fix it.

The CLI turns any `IpvgError` into one clear line and a non-zero exit code; anything else is a
bug in ipvg and keeps its traceback.
"""

from __future__ import annotations


class IpvgError(Exception):
    """Base class of every error a user can cause and fix."""

    exit_code = 1

    def __init__(self, message: str, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(f"{message} {fix}" if fix else message)

    def one_line(self) -> str:
        text = f"{self.message} Fix: {self.fix}" if self.fix else self.message
        return " ".join(text.split())


class ConfigError(IpvgError, ValueError):
    """A configuration value is invalid (wrong range, unknown preset, conflicting options)."""

    exit_code = 2


class BadInputError(IpvgError, ValueError):
    """A user input (image, prompt, folder) cannot be used as given."""

    exit_code = 2


class ImageReadError(BadInputError):
    """An image file is missing, unreadable, empty or far too large."""


class PromptError(BadInputError):
    """A prompt is empty, too long, or otherwise unusable."""


class NoFaceDetectedError(BadInputError):
    """No face was found where one is needed."""


class UnknownBackendError(IpvgError, KeyError):
    """A backend name is not registered."""

    exit_code = 2

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.one_line()


class MissingDependencyError(IpvgError, ImportError):
    """An optional Python package that a backend needs is not installed."""

    exit_code = 3


class WeightsNotFoundError(IpvgError, FileNotFoundError):
    """Model weights are not available locally."""

    exit_code = 3


class RuntimeOptionError(IpvgError):
    """A speed or memory option cannot apply on this machine or model."""

    exit_code = 2


class OutputError(IpvgError, OSError):
    """An output file or folder cannot be written."""

    exit_code = 4
