"""Presence: which extensions are on which calls, from the PBX's call events (busy lamp field,
receptionist console)."""
