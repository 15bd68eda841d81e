"""What this machine offers: CPU cores, memory, CUDA for CTranslate2 (and its device memory), GPU offload
for llama.cpp, Apple silicon."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path


def usable_cpus() -> list[int]:
    """Logical CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def physical_cores() -> int:
    """Physical cores among the usable CPUs (hyper-threads counted once).

    Reads Linux's ``/sys/devices/system/cpu/cpuN/topology/thread_siblings_list``;
    elsewhere returns the logical count.
    """
    cpus = usable_cpus()
    siblings = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list")
        try:
            siblings.add(topology.read_text().strip())
        except OSError:
            return len(cpus)
    return max(len(siblings), 1)


def cuda_device_count() -> int:
    """CUDA devices CTranslate2 (faster-whisper's engine) can use; 0 when none or on error."""
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:
        return 0


def llama_gpu_offload() -> bool:
    """True when this llama-cpp-python build can offload layers to a GPU (CUDA or Metal)."""
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        return False


def total_memory_bytes() -> int:
    """Physical memory (RAM) of this machine in bytes; 0 when it cannot be read.

    ``os.sysconf`` (pages x page size) on Linux and macOS, ``/proc/meminfo`` where sysconf lacks the
    names, ``GlobalMemoryStatusEx`` on Windows. No third-party package.
    """
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and page_size > 0:
            return int(pages * page_size)
    except (AttributeError, ValueError, OSError):
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024  # the kernel reports kB (KiB)
    except (OSError, ValueError, IndexError):
        pass
    return _windows_memory_bytes()


def _windows_memory_bytes() -> int:
    if platform.system() != "Windows":
        return 0
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong), ("total_phys", ctypes.c_ulonglong),
                    ("avail_phys", ctypes.c_ulonglong), ("total_page", ctypes.c_ulonglong),
                    ("avail_page", ctypes.c_ulonglong), ("total_virtual", ctypes.c_ulonglong),
                    ("avail_virtual", ctypes.c_ulonglong), ("avail_extended", ctypes.c_ulonglong)]

    status = MemoryStatus()
    status.length = ctypes.sizeof(MemoryStatus)
    try:
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
            return int(status.total_phys)
    except (AttributeError, OSError):
        pass
    return 0


def cuda_memory_bytes() -> int:
    """Memory of the largest CUDA device in bytes (one model runs on one device); 0 without CUDA or when
    it cannot be read. Asks ``nvidia-smi`` (installed with the NVIDIA driver; at most 5 s) only when
    CTranslate2 sees a CUDA device."""
    if cuda_device_count() <= 0 or shutil.which("nvidia-smi") is None:
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5, check=True).stdout
        return max(int(float(line)) for line in out.split() if line.strip()) * 1024 * 1024  # MiB
    except (OSError, subprocess.SubprocessError, ValueError):
        return 0


def apple_silicon() -> bool:
    """True on a Mac with an Apple silicon (arm64) chip: unified memory, Metal for llama.cpp, and
    faster-whisper on the CPU."""
    return platform.system() == "Darwin" and platform.machine() == "arm64"
