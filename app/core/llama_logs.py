"""llama.cpp's own log lines go to Hearsay's log file, not the user's terminal."""

from __future__ import annotations

import logging

_llama_log = logging.getLogger("hearsay.llama_cpp")
_log_callback = None


def route_llama_logs() -> None:
    """Install (once) a llama.cpp log callback that writes to the ``hearsay.llama_cpp`` logger at DEBUG."""
    global _log_callback
    if _log_callback is not None:
        return
    import ctypes

    import llama_cpp
    import llama_cpp._logger  # noqa: F401  (installs its callback first; ours replaces it)

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        _llama_log.debug("%s", text.decode("utf-8", "replace").rstrip())

    _log_callback = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
