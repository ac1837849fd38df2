"""Dialogs: export, and small message helpers."""
