"""Forwarding, do-not-disturb and feature access codes in the PBX (docs/phone-features.md)."""
