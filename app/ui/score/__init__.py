"""The "Compare with recording" panel: every simulated branch scored against a Recorded branch."""
