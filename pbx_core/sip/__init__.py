"""The sippy side of the PBX: everything here runs in the SIP thread."""
