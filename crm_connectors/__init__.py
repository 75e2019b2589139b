"""crm_connectors package."""
