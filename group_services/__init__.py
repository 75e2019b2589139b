"""Group services (service description 3.3): hunt groups and auto attendants, as pure decision
logic fed events and a clock. The shell that turns them into PBX commands is
cti/group_calls.py; their configuration comes from provisioning (docs/group-services.md)."""
