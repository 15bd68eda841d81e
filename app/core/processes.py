"""Other processes: whether one still runs (a library analysis's owner, a state file's writer)."""

from __future__ import annotations

import os


def pid_alive(pid: int | None) -> bool:
    """Whether process ``pid`` still runs (the owner of a "running" analysis, the writer of a temp file).

    This process counts as alive; a pid of another user's process too (``PermissionError``).
    """
    if not pid:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
        return bool(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
