"""The SIP edge in front of the PBX nodes: Kamailio (docs/deploy.md, "Kamailio")."""
