"""ipywidgets UI for clc_notebook: login, server build form, job progress, server actions, classroom board.

Stock ipywidgets 8 only. Every launcher (`ServerBuildForm.build`, `ServerActions.run`, a `JobBoard`)
returns a `JobWatch`, whose `.wait(timeout)` blocks a cell or a test until the jobs have ended; polling
itself runs in a background thread so the kernel stays free.
"""

from .actions import ACTIONS, ConfirmationRequired, ServerActions
from .build_form import ServerBuildForm
from .classroom import ClassroomBoard
from .dashboard import Dashboard
from .login import LoginForm
from .memory import forget
from .progress import JobBoard, JobProgress
from .watch import JobWatch

__all__ = [
    "LoginForm",
    "ServerBuildForm",
    "JobProgress",
    "JobBoard",
    "ServerActions",
    "Dashboard",
    "ClassroomBoard",
    "JobWatch",
    "ConfirmationRequired",
    "ACTIONS",
    "forget",
]
