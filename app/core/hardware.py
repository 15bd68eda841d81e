"""What this machine offers: CPU cores, CUDA for CTranslate2, GPU offload for llama.cpp."""

from __future__ import annotations

import os
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
