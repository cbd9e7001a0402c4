"""The web UI: a Gradio page over `IdentityVideoPipeline` (`ipvg serve`).

    from ipvg.web import create_app, launch
    demo, web = create_app("tiny")
    launch(demo, web, host="127.0.0.1", port=7860)

Needs the `web` extra (`pip install 'ipvg[web]'`). `ipvg.web.logic`, `ipvg.web.settings` and
`ipvg.web.examples` do not import Gradio, so they can be used and tested without it.
"""

from __future__ import annotations

from typing import Any

from ipvg.web.logic import PipelineCache, WebLimits

__all__ = ["PipelineCache", "WebLimits", "create_app", "launch"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """See `ipvg.web.app.create_app` (imported lazily: Gradio is an optional dependency)."""
    from ipvg.web.app import create_app as create

    return create(*args, **kwargs)


def launch(*args: Any, **kwargs: Any) -> Any:
    """See `ipvg.web.app.launch`."""
    from ipvg.web.app import launch as run

    return run(*args, **kwargs)
