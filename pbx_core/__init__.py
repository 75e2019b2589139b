"""pbx_core package."""
