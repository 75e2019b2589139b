"""Typed errors of the queue engine's configuration."""

from __future__ import annotations


class ConfigError(ValueError):
    """A call-center configuration that cannot be honoured; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TierError(ConfigError):
    """A feature asked of a call center (or agent licence) below the tier that offers it."""

    def __init__(self, feature: str, tier: str, needed: str) -> None:
        super().__init__(feature, f"{feature} needs the {needed} tier; this call center is {tier}")
        self.feature = feature
        self.tier = tier
        self.needed = needed
