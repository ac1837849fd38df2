"""The timeline: slider over undo steps, transport controls, and a track of what exists."""
