"""Real recordings (issue 11, design §15): sources (sources.py), registration to the artwork
(geometry.py), alignment to painting progress (align.py) and scores of branches against a recording
(metrics.py, score.py). No Qt, no torch, no engine: the CLI and the UI both drive it."""
