"""The PySide6 desktop application: windows, controllers and views over app.core and app.inference."""
