"""One button that picks one file and sends it to a handler; the browser checks type and size.

A plain hidden `<input type="file">` that the button clicks: react-dropzone, which `rx.upload`
brings, cost every page with a file button about 13 KB (brotli) for a click-only picker."""

from __future__ import annotations

import dataclasses
import json

import reflex as rx
from reflex.components.core.upload import Upload
from reflex.constants.compiler import CompileVars, Imports
from reflex.event import EventSpec
from reflex.vars import FunctionStringVar, FunctionVar, LiteralVar, Var, VarData

from lbt_app.states.session import SessionState


@dataclasses.dataclass(frozen=True)
class FileKinds:
    """The files a button takes, by react-dropzone's rule (which it used before): the file's
    MIME type is one of `types`, or its name ends with one of `extensions`."""

    types: tuple[str, ...]
    extensions: tuple[str, ...] = ()

    @property
    def attribute(self) -> str:
        """The input's `accept` attribute: what the system's picker offers."""
        return ",".join((*self.types, *self.extensions))


IMAGE_TYPES = FileKinds(("image/jpeg", "image/png", "image/webp"))
PROOF_TYPES = FileKinds((*IMAGE_TYPES.types, "application/pdf"), (".pdf",))
CSV_TYPES = FileKinds(("text/csv", "text/plain"), (".csv", ".txt"))

# A file the browser gives no type is typed by its extension first (as react-dropzone's
# file-selector did), for the types these buttons take.
_TYPE_OF_EXTENSION = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "txt": "text/plain",
}

# Reflex's own dispatch, as its event chains call it.
_ADD_EVENTS = FunctionStringVar.create(
    CompileVars.ADD_EVENTS, _var_data=VarData(imports=Imports.EVENTS)
)


def _script(js: str, *uses: Var) -> FunctionVar:
    """A JavaScript function, with the imports of the Vars its text uses."""
    return Var(js, _var_data=VarData.merge(*(v._get_all_var_data() for v in uses))).to(FunctionVar)


def _input_selector(upload_id: str) -> str:
    """The hidden file input, found by a data attribute: an `id` inside a form would make Reflex
    0.10 submit its value with the form (a deprecated rule); a file goes by its own event."""
    return f'input[data-upload="{upload_id}"]'


def _on_pick(selector: str, kinds: FileKinds, max_size: int, upload: EventSpec) -> FunctionVar:
    """The input's change: the chosen file is checked here, then either sent to the handler
    or, refused, only the reasons are sent (the file itself never travels: it may be 30 MB),
    as react-dropzone's codes in its order."""
    args = {k._js_expr: v for k, v in upload.args}
    # Reflex's upload sends the files a dropzone kept; this one sends the file just chosen.
    file_args = {"files", args["upload_param_name"]._var_value}
    send = LiteralVar.create(
        upload.with_args(
            tuple((k, Var("[file]") if k._js_expr in file_args else v) for k, v in upload.args)
        )
    )
    refuse = LiteralVar.create(SessionState.file_rejected(Var("codes")))
    typed = json.dumps(_TYPE_OF_EXTENSION)
    return _script(
        f"""() => {{
  const input = document.querySelector({json.dumps(selector)});
  const file = input.files[0];
  input.value = "";  // the same file, chosen again, is a change again
  if (!file) return;
  const name = file.name.toLowerCase();
  const type = (file.type || {typed}[name.match(/\\.([^.]+)$/)?.[1]] || "").toLowerCase();
  const typeOk = {json.dumps(kinds.types)}.includes(type)
    || {json.dumps(kinds.extensions)}.some((extension) => name.endsWith(extension));
  const codes = [
    typeOk ? "" : "file-invalid-type",
    file.size > {max_size} ? "file-too-large" : "",
  ].filter(Boolean).join(",");
  {_ADD_EVENTS!s}([codes ? {refuse!s} : {send!s}], [], {{}});
}}""",
        _ADD_EVENTS,
        send,
        refuse,
    )


def file_button(
    icon: rx.Component,
    label: rx.Var,
    *,
    upload_id: str,
    accept: FileKinds,
    max_size: int,
    handler: rx.event.EventHandler,
    capture: str | None = None,
    **button_props,
) -> rx.Component:
    """`handler(files)` receives the chosen file; a refused one gets a message instead.
    `capture` ("environment": the back camera) opens a phone's camera at once, not its picker.

    The file input is `display: none`: out of the tab order and of the accessibility tree, so the
    button is the one control a keyboard or a screen reader meets (a visually hidden input would
    be a second, same-named control to a screen reader). It still carries the button's words."""
    Upload.is_used = True  # Reflex serves /_upload only to apps that use its upload
    upload = rx.upload_files(upload_id=upload_id)
    selector = _input_selector(upload_id)
    return rx.fragment(
        rx.el.input(
            type="file",
            data_upload=upload_id,
            accept=accept.attribute,
            capture=capture,
            aria_label=label,
            style={"display": "none"},
            on_change=_on_pick(selector, accept, max_size, handler(upload)),
        ),
        rx.button(
            icon,
            label,
            type="button",
            on_click=_script(f"() => document.querySelector({json.dumps(selector)}).click()"),
            **button_props,
        ),
    )
