"""Repository-wide pytest setup (loaded for tests/ and book/ alike).

Matplotlib: the pytest process itself draws with the non-interactive Agg
backend.  We deliberately do *not* export ``MPLBACKEND=Agg``: nbval's kernels
inherit the environment, and ipykernel only selects its inline backend when
``MPLBACKEND`` is unset, so an exported Agg would stop notebook figures from
being displayed and break the comparison with the stored outputs.
"""

import os

# Kernels started by nbval must use ipykernel's default (inline) backend, as
# JupyterLab does, whatever the calling shell exported.
os.environ.pop("MPLBACKEND", None)

try:
    import matplotlib
except ImportError:  # pragma: no cover - matplotlib is in requirements.txt
    pass
else:
    matplotlib.use("Agg")
