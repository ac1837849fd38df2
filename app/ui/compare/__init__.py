"""Compare 2-4 branches with one synchronised slider."""
