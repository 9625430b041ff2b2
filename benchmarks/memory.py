"""Memory readings shared by the benchmark scripts: the resident set (Linux /proc), a CSR matrix's size."""

from __future__ import annotations


def memory_kb() -> dict[str, int]:
    """The process's current (VmRSS) and peak (VmHWM) resident set, in KiB."""
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                status[key] = int(value.split()[0])
    return status


def reset_peak() -> bool:
    """Reset the peak resident set (VmHWM) to the current one (Linux >= 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def csr_bytes(M) -> int:
    """The bytes of a scipy CSR matrix's three arrays (data, indices, indptr)."""
    return int(M.data.nbytes + M.indices.nbytes + M.indptr.nbytes)
