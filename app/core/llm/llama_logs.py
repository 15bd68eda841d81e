"""llama.cpp's own log lines go to Hearsay's log file, not the user's terminal.

llama-cpp-python, with ``verbose=False``, also points the whole process's
stdout and stderr (``sys.stdout``/``sys.stderr`` and file descriptors 1 and
2) at /dev/null while a model loads. The LLM loads in a background thread
while other threads print, so that silenced their lines: a batch's
``hearsay: <file>: no such file`` could vanish (abetlen/llama-cpp-python
issues 1013 and 1874). With llama.cpp's logs routed here, that redirection
is not needed and is turned off.
"""

from __future__ import annotations

import contextlib
import logging

_llama_log = logging.getLogger("hearsay.llama_cpp")
_log_callback = None


def route_llama_logs() -> None:
    """Install (once) a llama.cpp log callback that writes to the ``hearsay.llama_cpp`` logger at DEBUG,
    and stop llama-cpp-python from redirecting the process's stdout and stderr while it loads a model."""
    global _log_callback
    if _log_callback is not None:
        return
    import ctypes

    import llama_cpp
    import llama_cpp._internals
    import llama_cpp._logger  # noqa: F401  (installs its callback first; ours replaces it)
    import llama_cpp.llama

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        _llama_log.debug("%s", text.decode("utf-8", "replace").rstrip())

    _log_callback = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    for module in (llama_cpp.llama, llama_cpp._internals):
        if hasattr(module, "suppress_stdout_stderr"):
            module.suppress_stdout_stderr = lambda disable=True: contextlib.nullcontext()
