"""The dark, neutral look: a Fusion palette plus a small stylesheet (one place for colours).

Keyboard users must see where the focus is: every control that takes it gets a ring in `FOCUS`
(a stylesheet border replaces the style's own focus frame, so the ring has to be drawn here)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleHintReturn, QStyleOption, QWidget

BG = "#1c1d24"
PANEL = "#23252e"
RAISED = "#2c2f3a"
BORDER = "#383b48"
TEXT = "#e4e6f0"
MUTED = "#9a9db0"
ACCENT = "#7c6cff"
ACCENT_2 = "#38c6b4"
FOCUS = "#b3a8ff"  # the focus ring: lighter than ACCENT, so it shows on a selected or primary control too

STYLESHEET = f"""
QWidget {{ font-size: 13px; }}
QMainWindow, QDialog {{ background: {BG}; }}
QToolBar {{ background: {PANEL}; border: none; border-bottom: 1px solid {BORDER}; spacing: 4px; padding: 4px 8px; }}
QToolBar QToolButton {{ padding: 5px 9px; border-radius: 6px; color: {TEXT}; }}
QToolBar QToolButton#qt_toolbar_ext_button {{ padding: 0px; }}
QToolBar QToolButton:disabled {{ color: #5d6070; }}
QToolButton:hover {{ background: {RAISED}; border-radius: 6px; }}
QToolButton:checked {{ background: {ACCENT}; color: white; border-radius: 6px; }}
QStatusBar {{ background: {PANEL}; border-top: 1px solid {BORDER}; color: {MUTED}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 6px; }}
#timeline {{ background: {PANEL}; border-top: 1px solid {BORDER}; }}
#stepLabel {{ color: {TEXT}; font-weight: 600; padding-left: 6px; }}
#kindBadge {{ border-radius: 8px; padding: 2px 8px; font-size: 11px; background: {RAISED}; color: {MUTED}; }}
#kindBadge[kind="exact"] {{ background: #1f4d39; color: #9ff0c7; }}
#kindBadge[kind="interpolated"] {{ background: #1d3a5e; color: #a9d2ff; }}
#kindBadge[kind="preview"] {{ background: #4d3f1c; color: #f5d98a; }}
QSlider::groove:horizontal {{ height: 6px; background: {RAISED}; border-radius: 3px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 3px; }}
QSlider::add-page:horizontal {{ background: {RAISED}; border-radius: 3px; }}
QSlider::handle:horizontal {{ background: white; width: 14px; height: 14px; margin: -5px 0; border-radius: 7px; }}
QPushButton {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 6px; padding: 6px 14px; color: {TEXT}; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:default, QPushButton#primary {{ background: {ACCENT}; border-color: {ACCENT}; color: white; }}
QPushButton#primary {{ font-weight: 600; }}
QPushButton:disabled {{ color: #666a7c; }}
QPushButton:default:disabled, QPushButton#primary:disabled {{ background: {RAISED}; border-color: {BORDER}; color: #666a7c; }}
QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 5px;
  padding: 3px 6px; color: {TEXT}; }}
QComboBox:disabled, QSpinBox:disabled, QDoubleSpinBox:disabled, QLineEdit:disabled {{ color: #666a7c; }}
QListWidget, QTreeWidget {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 8px; padding: 4px; }}
QListWidget::item {{ padding: 6px; border-radius: 6px; }}
QListWidget::item:selected {{ background: {ACCENT}; color: white; }}
QGroupBox {{ border: 1px solid {BORDER}; border-radius: 8px; margin-top: 14px; padding: 10px 8px 8px 8px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; color: {MUTED}; }}
QDockWidget {{ color: {MUTED}; }}
QDockWidget::title {{ background: {PANEL}; padding: 6px 10px; }}
QProgressBar {{ background: {RAISED}; border: none; border-radius: 4px; height: 8px; text-align: center; color: transparent; }}
QProgressBar::chunk {{ background: {ACCENT_2}; border-radius: 4px; }}
#startPage {{ background: {BG}; }}
#startTitle {{ font-size: 28px; font-weight: 700; color: {TEXT}; }}
#startSubtitle {{ color: {MUTED}; font-size: 14px; }}
#card {{ background: {PANEL}; border: 1px solid {BORDER}; border-radius: 12px; }}
#cardTitle {{ color: {MUTED}; font-size: 12px; font-weight: 600; letter-spacing: 1px; }}
#sampleButton {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 10px; padding: 6px; color: {TEXT}; }}
#sampleButton:hover {{ border-color: {ACCENT}; }}
#dropZone {{ border: 2px dashed {BORDER}; border-radius: 12px; color: {MUTED}; }}
#paneLabel {{ background: rgba(20,20,28,180); color: {TEXT}; border-radius: 6px; padding: 3px 8px; font-weight: 600; }}
#simLabel {{ color: {MUTED}; font-size: 11px; }}
QPushButton:focus {{ border: 2px solid {FOCUS}; padding: 5px 13px; }}
QComboBox:focus, QSpinBox:focus, QDoubleSpinBox:focus, QLineEdit:focus {{ border: 2px solid {FOCUS}; padding: 2px 5px; }}
QListWidget:focus, QTreeWidget:focus, QTableWidget:focus {{ border: 2px solid {FOCUS}; padding: 3px; }}
QToolButton:focus {{ border: 2px solid {FOCUS}; border-radius: 6px; }}
QToolBar QToolButton:focus {{ padding: 3px 7px; }}
QCheckBox:focus, QRadioButton:focus, QSlider:focus {{ border: 1px dotted {FOCUS}; border-radius: 4px; }}
"""


class _Style(QProxyStyle):
    """Fusion without icons on dialog buttons: Fusion's stock green arrow and red cross on OK/Cancel
    clash with the app's own line icons, and no other button in the app has a decorative icon. The
    toolbar's overflow button (what no longer fits a narrow window, e.g. the language chooser) gets the
    app's own light chevrons: Fusion's is a dark arrow that cannot be seen on the dark toolbar."""

    def styleHint(
        self,
        hint: QStyle.StyleHint,
        option: QStyleOption | None = None,
        widget: QWidget | None = None,
        returnData: QStyleHintReturn | None = None,
    ) -> int:
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 0
        return super().styleHint(hint, option, widget, returnData)

    def standardIcon(  # noqa: N802
        self,
        standardIcon: QStyle.StandardPixmap,  # noqa: N803
        option: QStyleOption | None = None,
        widget: QWidget | None = None,
    ) -> QIcon:
        if standardIcon == QStyle.StandardPixmap.SP_ToolBarHorizontalExtensionButton:
            from app.ui.icons import icon

            more = icon("more")
            if not more.isNull():
                return more
        return super().standardIcon(standardIcon, option, widget)


def apply_theme(app: QApplication) -> None:
    app.setStyle(_Style("Fusion"))
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: BG,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: PANEL,
        QPalette.ColorRole.AlternateBase: RAISED,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: RAISED,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: MUTED,
        # links in labels (the start page's engine reason): Qt's default dark blue is unreadable on BG
        QPalette.ColorRole.Link: FOCUS,
        QPalette.ColorRole.LinkVisited: FOCUS,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)
    app.setStyleSheet(STYLESHEET)
