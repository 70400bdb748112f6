"""One patch as the mbox bytes ``git am`` reads: the message as received, else rebuilt.

A source that kept the raw message (``Patch.raw``) gives git exactly what was posted,
``index`` lines included, so ``git am -3`` can fall back to a three-way merge. Without
it, a ``git format-patch``-shaped email is rebuilt from the parsed fields; its diff has
no ``index`` lines (the blob names are not kept), so only a plain apply is possible,
and a missing newline at the end of a file is not reproduced.
"""

from __future__ import annotations

import base64
import email.utils

from reviewbot.parse.diff import FileDiff
from reviewbot.parse.patch import Patch

# format-patch's separator line; git mailsplit needs a "From " line to start a message.
FROM_LINE = b"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n"
_UNKNOWN_AUTHOR = ("unknown", "unknown@localhost")


def patch_mbox(patch: Patch) -> bytes:
    """The bytes to pipe into ``git am`` for ``patch``."""
    if patch.raw:
        data = patch.raw if patch.raw.startswith(b"From ") else FROM_LINE + patch.raw
        return data if data.endswith(b"\n") else data + b"\n"
    return rebuilt_email(patch)


def _header(text: str) -> str:
    """A header value, RFC 2047-encoded when it is not plain ASCII.

    Encoded here rather than by the email package, whose utf-8 header encoding is a
    process-wide setting that other libraries (b4) change.
    """
    if text.isascii():
        return text
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def _author(patch: Patch) -> str:
    name, address = email.utils.parseaddr(patch.author)
    if not address or "@" not in address:
        name, address = _UNKNOWN_AUTHOR
    if name.isascii():
        return email.utils.formataddr((name, address))
    return f"{_header(name)} <{address}>"


def rebuilt_email(patch: Patch) -> bytes:
    """A format-patch email from the parsed fields (see the module docstring)."""
    subject = patch.subject.raw or patch.subject.title or f"patch {patch.index}"
    headers = [
        f"From: {_author(patch)}",
        f"Date: {patch.date or email.utils.formatdate()}",
        f"Subject: {_header(subject)}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    body = patch.message.rstrip("\n") + "\n" if patch.message.strip() else ""
    body += "---\n"
    if patch.notes.strip():
        body += patch.notes.rstrip("\n") + "\n\n"
    body += diff_text(patch.files)
    text = "\n".join(headers) + "\n\n" + body
    return FROM_LINE + text.encode("utf-8")


def diff_text(files: tuple[FileDiff, ...]) -> str:
    """The unified diff that ``files`` were parsed from, in git's shape (no ``index`` lines)."""
    out: list[str] = []
    for diff in files:
        old = diff.old_path or diff.path
        new = diff.path
        out.append(f"diff --git a/{old} b/{new}")
        if diff.status == "added":
            out += ["new file mode 100644", "--- /dev/null", f"+++ b/{new}"]
        elif diff.status == "removed":
            out += ["deleted file mode 100644", f"--- a/{old}", "+++ /dev/null"]
        else:
            if diff.status == "renamed":
                out += [f"rename from {old}", f"rename to {new}"]
            if diff.hunks:
                out += [f"--- a/{old}", f"+++ b/{new}"]
        for hunk in diff.hunks:
            section = f" {hunk.section}" if hunk.section else ""
            out.append(
                f"@@ -{hunk.old_start},{hunk.old_len} +{hunk.new_start},{hunk.new_len} @@{section}"
            )
            out += [f"{line.kind}{line.text}" for line in hunk.lines]
    return "\n".join(out) + "\n" if out else ""
