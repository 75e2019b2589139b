"""The outside world: numbering (E.164, categories), outgoing calling plans and the trunk routing
the B2BUA consults (docs/trunks.md)."""
