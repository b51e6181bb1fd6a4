"""Code echo: the client calls a widget's last action made, as code to paste into a notebook.

`CodeSection` shows them under a collapsed "Code" heading (a stock Accordion) with a Copy button. The
button is plain HTML inside a stock `HTML` widget (ipywidgets sets its value as the element's
innerHTML, unsanitised, in JupyterLab, Notebook and Voila): it copies with the browser's clipboard
API, and where the page is not a secure context (plain http on a host other than localhost) with
the older copy command on a selection. The code stays selectable by hand in every case.

The code is written as a person would, with `s` for the session, runnable as is: ``job =
s.create_server(...)`` then ``job.wait()``. A typed password is never in it: the code reads
``$CLC_SERVER_PASSWORD``, else asks with ``getpass()``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..config import ENV_SERVER_PASSWORD
from ..recording import Code, code_text, literal, without_defaults

PASSWORD_SOURCE = Code(f'os.environ.get("{ENV_SERVER_PASSWORD}") or getpass("Password of the new server: ")')
PASSWORD_IMPORTS = "import os\nfrom getpass import getpass\n\n"
PRE_STYLE = (
    "margin:0.3em 0; padding:0.5em; background:#f6f8fa; border:1px solid #ddd; white-space:pre-wrap;"
    " font-family:monospace; font-size:12px; line-height:1.4; user-select:text"
)
NOTHING_YET = "# The client code of this form's last action shows here."

# onclick of the Copy button: the clipboard API (secure contexts), else a selection and the copy command
COPY_SCRIPT = (
    "const box = this.closest('.clc-code'); const text = box.querySelector('pre').textContent;"
    "const said = (word) => { this.textContent = word; setTimeout(() => { this.textContent = 'Copy'; }, 2000); };"
    "const old = () => { const area = document.createElement('textarea'); area.value = text; box.appendChild(area);"
    " area.select(); const ok = document.execCommand('copy'); area.remove(); said(ok ? 'Copied' : 'Select and copy'); };"
    "if (navigator.clipboard && window.isSecureContext) {"
    " navigator.clipboard.writeText(text).then(() => said('Copied'), old); } else { old(); }"
)


class CodeSection(widgets.Accordion):
    """A collapsed "Code" section: the code (``code``) in a box, with a Copy button."""

    def __init__(self) -> None:
        self.view = widgets.HTML()
        self.view.add_class("clc-code-view")
        super().__init__(children=[self.view], titles=("Code",), selected_index=None)
        self.add_class("clc-code-section")
        self.code = ""
        self.show("")

    def show(self, code: str) -> None:
        """Show `code` ('' shows a line saying where the code will appear)."""
        self.code = code
        text = html.escape(code or NOTHING_YET)
        self.view.value = (
            "<div class='clc-code'>"
            f'<button class="clc-code-copy" type="button" onclick="{html.escape(COPY_SCRIPT)}">Copy</button>'
            f"<pre style='{PRE_STYLE}'>{text}</pre></div>"
        )

    def __repr__(self) -> str:
        return f"CodeSection({len(self.code.splitlines())} line(s))"


def build_code(create_server: Callable[..., Any], arguments: dict[str, Any], count: int) -> str:
    """The code of a build: `count` creates with `arguments` (a typed password read, never written),
    then a wait. Arguments equal to `create_server`'s defaults are left out."""
    arguments = without_defaults(create_server, arguments)
    typed_password = bool(arguments.get("password"))
    if typed_password:
        arguments["password"] = PASSWORD_SOURCE
    call = code_text("s.create_server", list(arguments.items()))
    head = PASSWORD_IMPORTS if typed_password else ""  # imports, then an empty line
    if count == 1:
        return f"{head}job = {call}\njob.wait()\n"
    indented = call.replace("\n", "\n    ")
    return (
        f"{head}from clc_notebook import JobSet\n\n"
        f"jobs = []\nfor _ in range({count}):\n    job = {indented}\n    jobs.append(job)\nJobSet(jobs).wait()\n"
    )


def action_code(method: str, server_ids: list[str], refused: list[dict] | None = None) -> str:
    """The code of a server action: one call for a power operation, one delete per server; each
    followed by a wait. Servers the API refused are named in a comment (the same call would be
    refused again, with the same error)."""
    if method == "delete_server":
        if len(server_ids) == 1:
            code = f"job = s.delete_server({literal(server_ids[0])})\njob.wait()\n"
        else:
            code = (
                "from clc_notebook import JobSet\n\n"
                f"jobs = [s.delete_server(server_id) for server_id in {literal(server_ids)}]\nJobSet(jobs).wait()\n"
            )
    else:
        code = f"jobs = {code_text(f's.{method}', [(None, server_ids)])}\njobs.wait()\n"
    if refused:
        named = "; ".join(f"{item.get('server')}: {item.get('errorMessage') or 'refused'}" for item in refused)
        named = " ".join(named.split())  # one comment line
        code += f"# the API refused {named}\n"
    return code
