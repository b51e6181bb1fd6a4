"""Small pieces shared by the forms: a field row with its message, and error text from client errors."""

from __future__ import annotations

import html
import re

import ipywidgets as widgets

DESCRIPTION_WIDTH = "10em"
FIELD_WIDTH = "30em"


def styled(widget, css_class: str):
    """Give a stock widget a fixed description width, a width and a CSS class (for pages and tests)."""
    if hasattr(widget, "style") and hasattr(widget.style, "description_width"):
        widget.style.description_width = DESCRIPTION_WIDTH
    widget.layout.width = FIELD_WIDTH
    widget.add_class(css_class)
    return widget


def message_widget(css_class: str) -> widgets.HTML:
    """An empty message slot shown next to a field."""
    box = widgets.HTML("", layout=widgets.Layout(margin="0 0 0 1em"))
    box.add_class(css_class)
    return box


def set_message(box: widgets.HTML, text: str | None, *, kind: str = "error") -> None:
    """Show `text` in a message slot (red for errors, green for ok, grey for info); None clears it."""
    colour = {"error": "#b00020", "ok": "#1b5e20", "info": "#555"}[kind]
    box.value = "" if not text else f"<span style='color:{colour}'>{html.escape(text)}</span>"


def message_text(box: widgets.HTML) -> str:
    """The plain text shown in a message slot ('' when empty)."""
    return html.unescape(re.sub(r"<[^>]+>", "", box.value or ""))


def describe_error(exc: BaseException) -> str:
    """One line for a person: the client's message (it names what was asked and what came back)."""
    line = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    return line if len(line) < 400 else line[:400] + "…"


def require_session(session, widget: str):
    """Return `session`, or raise TypeError saying where a session comes from (e.g. a login that failed)."""
    if session is None or not hasattr(session, "alias") or not hasattr(session, "create_server"):
        raise TypeError(
            f"{widget} needs a logged-in Session from clc_notebook.connect() or LoginForm.session "
            f"(got {type(session).__name__})"
        )
    return session
