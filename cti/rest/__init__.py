"""REST API for CRM plugins and scripts (`/api/v1/...`), plus health and metrics."""
