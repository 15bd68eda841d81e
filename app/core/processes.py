"""Other processes: whether one still runs (a library analysis's owner, a state file's writer), and starting
the child processes engines run in."""

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


def start_child(target, args: tuple, name: str):
    """Start ``target(conn, *args)`` in a child process and return (the process, this process's end of ``conn``).

    The child is a "spawn" one (a fresh interpreter, on every platform: no copy of this process's threads or
    locks), a daemon (ended if this process exits normally first), connected by a duplex
    ``multiprocessing`` pipe; this process's copy of the child's end is closed, so each side sees the other
    go. ``target`` and ``args`` must pickle (``target`` a module-level function). Raises OSError when the
    process cannot start."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), name=name, daemon=True)
    process.start()
    child.close()
    return process, parent


def end_child(process, wait_s: float = 1.0) -> None:
    """End a child ``start_child`` started: ``terminate`` (SIGTERM), wait up to ``wait_s`` seconds, then ``kill``
    and wait again. Nothing when ``process`` is None or has ended."""
    if process is not None and process.is_alive():
        process.terminate()
        process.join(wait_s)
        if process.is_alive():
            process.kill()
            process.join(wait_s)
