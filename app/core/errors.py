"""Errors Hearsay reports to the user as one sentence.

Every error carries ``message``: a short, lower-case clause that names what is
wrong ("file is empty", "not an audio or video file"). Callers add the file
name, e.g. the CLI prints ``hearsay: <path>: <message>``.
"""

from __future__ import annotations


class HearsayError(Exception):
    """Base of every error Hearsay shows to a user instead of a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MediaError(HearsayError):
    """The input file cannot be read as audio, video or a transcript."""


class ModelError(HearsayError):
    """A model file is missing, unreadable, fails its checksum, or fails to load."""


class PromptError(HearsayError):
    """One prompt could not be answered (the others still run)."""


class ContextOverflowError(PromptError):
    """The assembled prompt does not fit the model's context window.

    ``needed`` and ``available`` are token counts.
    """

    def __init__(self, needed: int, available: int) -> None:
        super().__init__(
            f"the transcript and prompt need {needed:,} tokens but the context window "
            f"holds {available:,}; choose a model with a longer context window"
        )
        self.needed = needed
        self.available = available


class ExportError(HearsayError):
    """An export could not be written (permissions, full disk, ...)."""


class Cancelled(Exception):
    """Raised inside engines when the user's cancel flag is set."""


class LibraryError(HearsayError):
    """The history library cannot be opened, read or written (damaged, newer schema, full disk, ...)."""


class AnalysisBusyError(LibraryError):
    """A stored analysis is being run right now by a live Hearsay process (``pid``): it cannot be deleted,
    resumed or written by anyone else until that run ends."""

    def __init__(self, message: str, pid: int) -> None:
        super().__init__(message)
        self.pid = pid


class FolderError(HearsayError):
    """A folder Hearsay keeps its files in (``path``) cannot be created: a file stands in its way, or the
    place is read-only. The message names the folder and the cause."""

    def __init__(self, message: str, path) -> None:
        super().__init__(message)
        self.path = path
