"""supervisor_ui package."""
