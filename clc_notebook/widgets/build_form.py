"""ServerBuildForm: the fields of Create Server, checked as you type; Build (or Build N) with live progress."""

from __future__ import annotations

import ipywidgets as widgets

from . import memory, validation
from .choices import (
    anti_affinity_options,
    datacenter_options,
    group_options,
    network_choice_options,
    network_options,
    template_options,
)
from .fields import describe_error, message_text, message_widget, require_session, set_message, styled
from .progress import JobBoard
from .watch import JobWatch

FORM_KEY = "ServerBuildForm"
# Fields whose values survive re-running the cell (never the password).
REMEMBERED = (
    "dc",
    "template",
    "network",
    "group",
    "name",
    "description",
    "cpu",
    "memory_gb",
    "server_type",
    "storage_type",
    "anti_affinity",
    "managed_os",
    "count",
)
NO_POLICY = ("(none)", "")


class ServerBuildForm(widgets.VBox):
    """A form that builds servers with `session.create_server` and shows each build's job as a row.

    `fields` maps a field name (dc, template, network, group, name, description, cpu, memory_gb,
    server_type, storage_type, anti_affinity, managed_os, password, count) to its widget; `messages`
    maps the same names to the message shown next to the field. `build()` (also the Build button)
    returns a JobWatch.

    Networks come from the networks API (claimed ones included), or from the deployment capabilities
    where a backend has none. The anti-affinity policies of the data center are offered (and their
    row shown) only while the server type is hyperscale, the only type that can join one.
    """

    def __init__(self, session, dc=None, *, poll=None, timeout=None, remember=True):
        self.session = require_session(session, "ServerBuildForm")
        self.poll = poll
        self.timeout = timeout
        self.last_watch = None
        self._remember = remember
        self._loading = False
        self._refusal_shown = False  # the status says a build was refused: stale once a field changes
        self.alias = getattr(session, "alias", None) or ""
        f = self.fields = {
            "dc": widgets.Dropdown(description="Data center"),
            "template": widgets.Dropdown(description="Template"),
            "network": widgets.Dropdown(description="Network"),
            "group": widgets.Dropdown(description="Group"),
            "name": widgets.Text(description="Name", placeholder="letters, digits, '-'; alias+name ≤ 10"),
            "description": widgets.Text(description="Description"),
            "cpu": widgets.IntText(value=2, description="CPUs"),
            "memory_gb": widgets.IntText(value=4, description="Memory (GB)"),
            "server_type": widgets.Dropdown(
                options=validation.SERVER_TYPES, value="standard", description="Server type"
            ),
            "storage_type": widgets.Dropdown(
                options=validation.STORAGE_TYPES, value="standard", description="Storage type"
            ),
            "anti_affinity": widgets.Dropdown(options=[NO_POLICY], value="", description="Anti-affinity"),
            "managed_os": widgets.Checkbox(value=False, description="Managed OS", indent=True),
            "password": widgets.Password(description="Password", placeholder="empty: the platform generates one"),
            "count": widgets.IntText(value=1, description="Build N"),
        }
        for name, widget in f.items():
            styled(widget, f"clc-field-{name.replace('_', '-')}")
        self.messages = {name: message_widget(f"clc-message-{name.replace('_', '-')}") for name in f}
        self.build_button = widgets.Button(description="Build", button_style="primary", icon="play")
        self.build_button.add_class("clc-build")
        self.status = widgets.HTML()
        self.status.add_class("clc-form-status")
        self.boards = widgets.VBox()
        self.boards.add_class("clc-boards")
        self.rows = {name: widgets.HBox([f[name], self.messages[name]]) for name in f}
        super().__init__(list(self.rows.values()) + [widgets.HBox([self.build_button, self.status]), self.boards])
        self.add_class("clc-build-form")

        recalled = memory.recall(session, FORM_KEY) if remember else {}
        self._load_datacenters(dc or recalled.get("dc"))
        self._restore(recalled)
        f["dc"].observe(self._on_dc_change, names="value")
        f["server_type"].observe(lambda change: self._show_policies(), names="value")
        self._show_policies()
        for name in ("name", "cpu", "memory_gb", "password", "count", "server_type", "storage_type"):
            f[name].observe(lambda change, name=name: self._check(name), names="value")
        for name in REMEMBERED:
            f[name].observe(lambda change, name=name: self._store(name, change["new"]), names="value")
        for widget in f.values():
            widget.observe(self._clear_refusal, names="value")
        self.build_button.on_click(lambda _button: self._build_from_click())
        self._check("name", quiet_if_empty=True)

    # --- public ------------------------------------------------------------------------------------
    def set(self, **values) -> ServerBuildForm:
        """Set field values from code (`form.set(name="web", cpu=2)`); return self.

        Raises ValueError for an unknown field, traitlets.TraitError for a choice not offered.
        """
        unknown = sorted(set(values) - set(self.fields))
        if unknown:
            raise ValueError(f"unknown field(s) {unknown}; the fields are {sorted(self.fields)}")
        for name, value in values.items():
            self.fields[name].value = value
        return self

    def message(self, field: str) -> str:
        """The message shown next to `field` ('' when none)."""
        return message_text(self.messages[field])

    def validate(self) -> dict[str, str]:
        """Check every field locally, show the messages, and return {field: message} for the bad ones."""
        problems = {}
        for name in ("dc", "template", "group", "name", "cpu", "memory_gb", "password", "count", "storage_type"):
            text = self._check(name)
            if text:
                problems[name] = text
        return problems

    def create_arguments(self) -> dict:
        """The keyword arguments `build()` passes to `session.create_server` (password only when typed)."""
        f = self.fields
        params = dict(
            name=f["name"].value.strip(),
            group_id=f["group"].value,
            template=f["template"].value,
            network_id=f["network"].value or None,
            cpu=f["cpu"].value,
            memory_gb=f["memory_gb"].value,
            description=f["description"].value,
            server_type=f["server_type"].value,
            storage_type=f["storage_type"].value,
            managed_os=f["managed_os"].value,
        )
        if f["password"].value:
            params["password"] = f["password"].value
        if f["anti_affinity"].value and f["server_type"].value == "hyperscale":
            params["anti_affinity_policy_id"] = f["anti_affinity"].value
        return params

    def build(self) -> JobWatch:
        """Create `count` servers as configured and watch their jobs; return the JobWatch.

        Nothing is sent when a local check fails: the messages show next to the fields and the returned
        watch has `errors` and no jobs. API validation errors (`modelState`) are shown the same way.
        """
        for name in self.messages:
            set_message(self.messages[name], None)
        problems = self.validate()
        if problems:
            self._show_refusal("Nothing was built: fix the marked field(s) first.")
            self.last_watch = JobWatch(errors=problems)
            return self.last_watch
        params = self.create_arguments()
        count = self.fields["count"].value
        self._refusal_shown = False
        set_message(self.status, f"Submitting {count} build(s)…", kind="info")
        jobs, problem = self._submit(params, count)
        by_field, general = self._problems(problem) if problem else ({}, [])
        for name, text in by_field.items():
            set_message(self.messages[name], text)
        errors = dict(by_field, **({"": "; ".join(general)} if general else {}))
        if jobs:
            watch = self._show_board(jobs, params["name"], count)
            # Builds refused after others were sent keep the watch from counting as a success.
            watch.errors = errors
        else:
            watch = JobWatch(errors=errors)
        if problem is None:
            set_message(self.status, f"{len(jobs)} build(s) submitted.", kind="ok")
        else:
            refused = "the API refused" if getattr(problem, "status", None) else "it could not be sent"
            before = f"{len(jobs)} of {count} build(s) submitted, then " if jobs else "Nothing was built: "
            self._show_refusal(before + refused + ": " + "; ".join(general or ["see the marked field(s)"]))
        self.last_watch = watch
        return watch

    def __repr__(self) -> str:
        shown = ("dc", "template", "group", "name", "cpu", "memory_gb", "count")
        return "ServerBuildForm(" + ", ".join(f"{k}={self.fields[k].value!r}" for k in shown) + ")"

    # --- internals ---------------------------------------------------------------------------------
    def _build_from_click(self) -> None:
        try:
            self.build()
        except Exception as exc:  # a click handler's exception would only reach a log
            set_message(self.status, f"Build failed: {describe_error(exc)}")

    def _show_refusal(self, text: str) -> None:
        set_message(self.status, text)
        self._refusal_shown = True

    def _clear_refusal(self, change) -> None:
        """A field changed: a "Nothing was built" about the values before is stale, so it goes."""
        if self._refusal_shown and not self._loading:
            self._refusal_shown = False
            set_message(self.status, None)

    def _submit(self, params: dict, count: int):
        """Send `count` creates; return (jobs sent, the exception that stopped the rest or None)."""
        jobs = []
        self.build_button.disabled = True  # a second click while submitting would build twice
        try:
            for _ in range(count):
                try:
                    jobs.append(self.session.create_server(**params))
                except Exception as exc:  # shown in the form; a traceback would be the only message otherwise
                    return jobs, exc
        finally:
            self.build_button.disabled = False
        return jobs, None

    def _show_board(self, jobs, name: str, count: int) -> JobWatch:
        # The password was sent; do not keep it in the page's widget state.
        self.fields["password"].value = ""
        title = name if count == 1 else f"{name} ×{count}"
        board = JobBoard(jobs, title=f"Build {title}", poll=self.poll, timeout=self.timeout, start=False)
        if len(jobs) > 1:
            for i, row in enumerate(board.rows, 1):
                row.set_label(f"{row.label} ({i}/{len(jobs)})")
        self.boards.children = self.boards.children + (board,)
        return board.start()

    def _problems(self, exc) -> tuple[dict[str, str], list[str]]:
        """({field: message}, [other messages]) from an exception raised by create_server."""
        by_field, general = validation.split_model_state(getattr(exc, "model_state", None))
        if not by_field and not general:
            general = [describe_error(exc)]
        elif getattr(exc, "message", None) and not by_field:
            general.insert(0, str(exc.message))
        return by_field, general

    def _check(self, name: str, quiet_if_empty: bool = False) -> str | None:
        f = self.fields
        text = None
        if name == "name":
            if quiet_if_empty and not f["name"].value:
                return None
            text = validation.check_name(f["name"].value.strip(), self.alias)
        elif name == "cpu":
            text = validation.check_range(f["cpu"].value, *validation.CPU_RANGE)
        elif name == "memory_gb":
            text = validation.check_range(f["memory_gb"].value, *validation.MEMORY_GB_RANGE)
        elif name == "count":
            text = validation.check_range(f["count"].value, *validation.BUILD_COUNT_RANGE)
        elif name == "password":
            text = validation.check_password(f["password"].value)
        elif name in ("server_type", "storage_type"):
            name = "storage_type"
            text = validation.check_types(f["server_type"].value, f["storage_type"].value)
        elif name in ("dc", "template", "group"):
            text = None if f[name].value else f"required: choose a {name.replace('dc', 'data center')}"
        set_message(self.messages[name], text)
        return text

    def _store(self, name: str, value) -> None:
        if self._remember and not self._loading:
            memory.remember(self.session, FORM_KEY, name, value)

    def _restore(self, recalled: dict) -> None:
        self._loading = True
        try:
            for name in REMEMBERED:
                if name in recalled and name != "dc":
                    widget = self.fields[name]
                    options = getattr(widget, "options", None)
                    if options is not None and recalled[name] not in [_value(o) for o in options]:
                        continue  # that choice is not offered any more
                    widget.value = recalled[name]
        finally:
            self._loading = False

    def _load_datacenters(self, wanted) -> None:
        try:
            options = datacenter_options(self.session.datacenters())
        except Exception as exc:
            set_message(self.status, f"Could not list data centers: {describe_error(exc)}")
            options = []
        values = [v for _, v in options]
        asked = str(wanted or "").upper()
        wanted = (asked or getattr(self.session, "location", None) or "").upper()
        self._loading = True
        try:
            self.fields["dc"].options = options
            self.fields["dc"].value = wanted if wanted in values else (values[0] if values else None)
        finally:
            self._loading = False
        if asked and asked not in values and values:
            set_message(
                self.status,
                f"Data center {asked!r} is not one of this account's "
                f"({', '.join(values)}); showing {self.fields['dc'].value}.",
            )
        self._load_choices(self.fields["dc"].value)

    def _on_dc_change(self, change) -> None:
        self._load_choices(change["new"])
        self._restore(memory.recall(self.session, FORM_KEY) if self._remember else {})

    def _load_choices(self, dc) -> None:
        f = self.fields
        templates, networks, groups, policies = [], [], [], []
        if dc:
            try:
                caps = self.session.capabilities(dc)
                templates = template_options(caps.templates)
                networks = self._networks(dc, caps)
                groups = group_options(self.session.groups(dc))
            except Exception as exc:
                set_message(self.status, f"Could not load the choices for {dc}: {describe_error(exc)}")
            policies = self._policies(dc)
        self._loading = True
        try:
            f["template"].options = templates
            f["network"].options = [("(automatic)", "")] + networks
            f["group"].options = groups
            f["anti_affinity"].options = [NO_POLICY] + policies
            f["anti_affinity"].value = ""
            if templates:
                f["template"].value = templates[0][1]
            if networks:
                f["network"].value = networks[0][1]
            default_group = next((v for label, v in groups if label.endswith("Default Group")), None)
            if default_group:
                f["group"].value = default_group
        finally:
            self._loading = False
        for name in ("dc", "template", "group"):
            self._check(name)

    def _networks(self, dc, caps) -> list[tuple[str, str]]:
        """The networks API's choices (claimed networks too); the capabilities' where it has none."""
        choices = getattr(self.session, "network_choices", None)
        if choices is None:
            return network_options(caps.networks)
        return network_choice_options(choices(dc))

    def _policies(self, dc) -> list[tuple[str, str]]:
        """The data center's anti-affinity policies; none when the backend cannot list them (the
        field is optional, so that is no reason to refuse the form)."""
        listing = getattr(self.session, "anti_affinity_policies", None)
        if listing is None:
            return []
        try:
            return anti_affinity_options(listing(), dc)
        except Exception:  # e.g. a backend without the policy endpoints: offer none
            return []

    def _show_policies(self) -> None:
        """Show the anti-affinity row only for hyperscale servers (clear the choice otherwise)."""
        hyperscale = self.fields["server_type"].value == "hyperscale"
        self.rows["anti_affinity"].layout.display = None if hyperscale else "none"
        if not hyperscale:
            self.fields["anti_affinity"].value = ""


def _value(option):
    return option[1] if isinstance(option, tuple) else option
