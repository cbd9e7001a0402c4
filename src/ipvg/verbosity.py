"""Library chatter kept quiet, the same in the CLI and the Python API.

diffusers and transformers log informational warnings (LoRA keys, unused weights, dtype notes) and draw
loading bars that say nothing a user can act on; ipvg reports what matters itself. IPVG_VERBOSE=1 shows
them again.
"""

from __future__ import annotations

import os
import sys
import warnings


def quiet_libraries() -> None:
    """Quiet diffusers/transformers: before their import (environment) and after it (their loggers)."""
    if os.environ.get("IPVG_VERBOSE"):
        return
    # Read by the libraries when first imported, which ipvg does lazily, after this point.
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="(diffusers|transformers|torch)")
    # A library the caller imported already has read the environment: set its logger directly.
    for name in ("diffusers", "transformers"):
        if name in sys.modules:
            logging_module = getattr(getattr(sys.modules[name], "utils", None), "logging", None)
            if logging_module is not None:
                logging_module.set_verbosity_error()
                logging_module.disable_progress_bar()
