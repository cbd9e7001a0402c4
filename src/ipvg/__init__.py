"""ipvg: identity-preserving text-to-video generation.

One reference face photo and a prompt in, a video of that person out, following the
spatial-temporal decoupled method (arXiv 2507.04705): prompt decoupling, an identity-preserving
first frame, then image-to-video.
"""

from ipvg.errors import IpvgError

__version__ = "0.1.0"

__all__ = ["IpvgError", "__version__"]
