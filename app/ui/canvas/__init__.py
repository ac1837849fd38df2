"""The zoomable, pannable image canvas."""
