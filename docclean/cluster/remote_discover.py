"""Finding the inputs of a run whose inputs or output are in object storage, and naming their outputs.

The storage counterpart of ``docclean.discover``: each input (a URL, a local path or pattern) is
expanded into jobs (:class:`RemoteJob`), each one file and the URL (or path) of its output:

* a URL prefix is listed recursively and sorted, a URL pattern globbed; hidden names and
  unsupported suffixes are skipped, like a local folder; local inputs go through
  ``discover.discover`` itself;
* outputs mirror the input tree under the output prefix, with the same names as a local run;
* **outputs are never inputs**, as with local folders: an output prefix equal to an input prefix is
  a usage error, an output prefix inside an input prefix is left out of the listing (a rerun would
  otherwise clean its own outputs), and a file whose output would be itself fails. Locations are
  compared by their identity (``_identity``): the store's first protocol and the path without
  scheme (``s3a://`` is ``s3://``), a local path resolved like ``discover.path_key``.

Moving bytes (download, upload, listing the output) is ``docclean.cluster.storage``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from docclean import formats
from docclean.cluster import storage
from docclean.discover import path_key
from docclean.errors import Cancelled, UsageError
from docclean.places import user_path

_MAGIC = re.compile(r"[*?[]")


def _identity(fs: Any, path: str) -> tuple[str, str]:
    """Which store a path is in and where, for comparisons: the store's first protocol (``s3``
    for ``s3a://`` too) and the path without scheme; a local path resolved like
    ``discover.path_key``, so a ``file://`` URL and a plain path of one folder are the same."""
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        return "file", str(path_key(Path(path)))
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol, path.rstrip("/")


def _identity_of(location: str, storage_options: dict[str, Any] | None) -> tuple[str, str]:
    if storage.is_remote(location):
        return _identity(*storage.filesystem(location, storage_options))
    return "file", str(path_key(user_path(location)))


def _inside(identity: tuple[str, str], folder: tuple[str, str]) -> str | None:
    """``identity``'s path relative to ``folder`` when it lies strictly inside it, else None."""
    if identity[0] != folder[0] or not identity[1].startswith(folder[1].rstrip("/") + "/"):
        return None
    return identity[1][len(folder[1].rstrip("/")) + 1:]


def _output_is_input(output: str) -> UsageError:
    # The local engine's words (docclean.plan.check_output); a URL goes into the message, whole.
    reason = ("the output folder is an input folder; choose another output folder "
              "(a rerun would otherwise clean its own outputs)")
    if storage.is_remote(output):
        return UsageError(f"{output}: {reason}", settings=("output",))
    return UsageError(reason, output, settings=("output",))


def _supported(name: str) -> bool:
    return formats.is_supported(Path(name))


@dataclass
class RemoteJob:
    """One input (a URL or local path) and the URL (or path) of its output; ``error`` as in
    ``discover.Job``. ``keys`` are the identities of source and target (``_identity``), for the
    check that no output is an input."""

    source: str
    target: str
    error: str | None = None
    keys: tuple[tuple[str, str], tuple[str, str]] | None = field(default=None, repr=False, compare=False)


def _relative_target(relative: str, fmt: str | None) -> str:
    rel = PurePosixPath(relative)
    return rel.with_suffix(formats.output_suffix(Path(rel.name), fmt)).as_posix()


def _expand_remote(item: str, output: str, out_id: tuple[str, str], fmt: str | None,
                   options: dict[str, Any] | None) -> list[RemoteJob]:
    fs, path = storage.filesystem(item, options)
    fs.invalidate_cache()
    suffixes = ", ".join(sorted(formats.SUPPORTED_SUFFIXES))
    folder = True  # the item names a folder (or a pattern's folder), which the output must not be
    try:
        if _MAGIC.search(path):
            base = path[:_MAGIC.search(path).start()].rsplit("/", 1)[0]
            found = sorted(p for p in fs.glob(path) if fs.isfile(p))
            error = f"pattern matched no supported files (looked for {suffixes})"
        elif fs.isdir(path):
            base = path.rstrip("/")
            found = sorted(fs.find(path))
            error = f"no supported files in this folder (looked for {suffixes})"
        elif fs.isfile(path):
            base = path.rsplit("/", 1)[0] if "/" in path else ""
            if not _supported(path):
                suffix = PurePosixPath(path).suffix or "(no suffix)"
                return [RemoteJob(item, output, f"unsupported file type {suffix!r} (supported: {suffixes})")]
            found, error, folder = [path], "", False
        else:
            return [RemoteJob(item, output, "no such file or folder")]
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - any store's failure (storage.store_failure)
        return [RemoteJob(item, output, f"cannot list it ({storage.store_failure(exc)})")]
    base_id = _identity(fs, base)
    if folder and base_id == out_id:
        raise _output_is_input(output)
    # An output prefix inside this input prefix holds earlier outputs, not inputs: left out.
    skip = _inside(out_id, base_id) if folder else None
    local = base_id[0] == "file"
    jobs = []
    for key in found:
        relative = key[len(base):].lstrip("/") if base else key
        if any(part.startswith(".") for part in PurePosixPath(relative).parts) or not _supported(key):
            continue
        if skip is not None and (relative == skip or relative.startswith(skip + "/")):
            continue
        out_rel = _relative_target(relative, fmt)
        source_id = ("file", str(path_key(Path(key)))) if local else (base_id[0], key)
        jobs.append(RemoteJob(fs.unstrip_protocol(key), output.rstrip("/") + "/" + out_rel, keys=(
            source_id, (out_id[0], out_id[1].rstrip("/") + "/" + out_rel))))
    return jobs or [RemoteJob(item, output, error)]


def discover_remote(inputs: list[str], output: str, fmt: str | None,
                    storage_options: dict[str, Any] | None = None) -> list[RemoteJob]:
    """Expand inputs (URLs or local paths) into jobs writing under the output (a URL or a local
    folder), mirroring trees like ``discover.discover``. Never raises for a bad input; raises
    UsageError when the output is an input folder (``-o`` equal to an input prefix), as
    ``plan.check_output`` does. An output inside an input folder is left out of that input, and a
    file whose output would be itself fails, as ``discover.discover`` does."""
    from docclean.discover import discover, input_folder

    out_id = _identity_of(output, storage_options)
    # A local input is walked by the local rules; when the output is on this machine too (a path
    # or a file:// URL), they are given the real output folder, so that they leave it out.
    out_local = Path(out_id[1]) if out_id[0] == "file" else Path("/nonexistent-docclean-anchor")
    jobs: list[RemoteJob] = []
    for item in inputs:
        if storage.is_remote(item):
            jobs.extend(_expand_remote(item, output, out_id, fmt, storage_options))
            continue
        folder = input_folder(item)
        if folder is not None and ("file", str(path_key(folder))) == out_id:
            raise _output_is_input(output)
        for job in discover([item], out_local, fmt):
            if job.target == out_local:  # the item itself failed (missing, nothing supported)
                jobs.append(RemoteJob(item, output, job.error))
                continue
            relative = job.target.relative_to(out_local).as_posix()
            target = output.rstrip("/") + "/" + relative
            error = job.error and job.error.replace(str(job.target), target)  # the output as the user named it
            jobs.append(RemoteJob(str(job.source), target, error, keys=(
                ("file", str(path_key(job.source))), (out_id[0], out_id[1].rstrip("/") + "/" + relative))))
    sources = {job.keys[0] for job in jobs if job.error is None and job.keys is not None}
    claimed: dict[str, str] = {}
    for job in jobs:
        if job.error is None:
            if job.keys is not None and job.keys[1] in sources:
                job.error = f"refusing to write over an input file ({job.target}); choose another output folder"
            elif job.target in claimed:
                job.error = f"output {job.target} is already the output of {claimed[job.target]}"
            else:
                claimed[job.target] = job.source
    return jobs
