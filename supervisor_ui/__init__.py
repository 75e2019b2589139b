"""Supervisor dashboard (Plotly Dash) served at `/supervisor/` in the CTI web process.

from supervisor_ui import SupervisorSettings, mount
mount(app, SupervisorSettings(redis_url=..., key_prefix=...))   # before the app starts
"""

from supervisor_ui.app import SupervisorDashboard, SupervisorSettings, mount

__all__ = ["SupervisorDashboard", "SupervisorSettings", "mount"]
