"""The B2BUA, one job per module (docs/pbx.md, "Layout"); `CallManager` is its entry point."""

from pbx_core.sip.calls.manager import CallManager

__all__ = ["CallManager"]
