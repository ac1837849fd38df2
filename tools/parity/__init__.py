"""Parity harness (a developer tool): runs folders of reference fixtures (`<case>.json` +
`<case>.safetensors`, tiny random-weight models of the original Paints-UNDO code) through our
implementation. It checks our code, not a user's checkpoint, so it is not part of the app.

    python -m tools.parity [DIR]     # default: tests/fixtures/reference
"""
