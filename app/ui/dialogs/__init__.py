"""Dialogs: export, About, the keyboard shortcuts sheet."""
