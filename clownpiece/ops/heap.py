"""Keep freed array memory in the process, so the next training step reuses it.

Speed trick, below everything students read. A training step allocates its whole working
set afresh (activations saved for backward, gradients: ~30 MB for the course's MNIST
transformer) and frees it at the end. glibc's malloc then hands the top of its heap back
to the operating system (its trim threshold adapts to only twice the largest freed
block), so the next step touches brand-new pages: one page fault per 4 KiB, about 7,000
per step, which cost ~1-2 µs each in a virtual machine. Measured on the 2-core benchmark
machine (MNIST transformer step, before the fused ops of `fused.py`): 6,800 faults and
23-25 ms per step without this, 0.3 faults and 13 ms with it (PyTorch's step in the same
process: 500 faults and 7 ms without, none and 6 ms with). Whether a process falls into
the faulting pattern depends on where its heap happens to end, so without this setting
the same step takes 13 ms in one run and 25 ms in the next.

The settings are process-wide: blocks up to 32 MiB (glibc's own ceiling for its adaptive
threshold) come from the heap, and up to 128 MiB of freed heap is kept for reuse. Set the
environment variable CLOWNPIECE_KEEP_FREED_MEMORY=0 to leave malloc as it is. On other C
libraries (macOS, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's <malloc.h>
HEAP_BLOCK_LIMIT = 32 * 2**20  # larger blocks are mmapped (and unmapped when freed)
KEPT_FREE_LIMIT = 128 * 2**20  # freed heap memory beyond this goes back to the system
OPT_OUT = "CLOWNPIECE_KEEP_FREED_MEMORY"


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep freed memory for reuse; True if the settings took."""
    if os.environ.get(OPT_OUT, "1") == "0" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, HEAP_BLOCK_LIMIT) and mallopt(M_TRIM_THRESHOLD, KEPT_FREE_LIMIT)
    )
