"""Developer tools, run from the repository root (`python -m tools.parity`). Not shipped in the wheel.

Layering: tools may import `app.*`; `app.*` never imports `tools` (tests/test_import_boundaries.py).
"""
