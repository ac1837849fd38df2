"""Parity runner over folders of reference fixtures (`<case>.json` + `<case>.safetensors`)."""
