"""Inputs and outputs in object storage (``s3://bucket/prefix``, ``gs://``, ``az://``, ``file://``...).

Any file system that fsspec knows works (S3 needs the ``s3fs`` package, GCS ``gcsfs``, ...). The
engine itself reads and writes local files, so this layer moves bytes around it:

* **inputs** are listed under the given prefix (recursively, sorted, hidden names and unsupported
  suffixes skipped, like a local folder) or by a glob pattern, and each file is downloaded to a
  local temporary folder just before it is cleaned;
* **outputs** mirror the input tree under the output prefix, with the same names as a local run;
  each is uploaded to a hidden temporary key beside its final key (``.NAME.docclean-HEX.part``),
  then moved onto the final key (a rename where the store has one, copy-then-delete on S3), so a
  key under the output prefix only ever holds a whole file;
* **skip what is done**: the output prefix is listed once; an input whose output key exists is
  skipped without being downloaded (a key can only exist whole, see above). Keys are compared
  without their scheme, since one store answers to several (``s3a://`` is ``s3://``);
* **outputs are never inputs**, as with local folders: an output prefix equal to an input prefix is a
  usage error, an output prefix inside an input prefix is left out of the listing (a rerun would
  otherwise clean its own outputs), and a file whose output would be itself fails.

URLs stay strings throughout (``Path("s3://b/k")`` is ``s3:/b/k``): :class:`Url` gives them the
``name`` a progress display asks of a path, and errors about a URL carry it in their message.

Options for the file system (an endpoint, credentials, a profile) come from the ``storage_options``
argument or, for the CLI, the environment variable ``DOCCLEAN_STORAGE_OPTIONS`` (a JSON object of
fsspec keyword arguments, for example ``{"endpoint_url": "http://127.0.0.1:9000"}``). Without it,
the store's usual configuration applies (AWS environment, instance roles, ``~/.aws``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from docclean import formats
from docclean.discover import path_key
from docclean.errors import InputError, OutputError, UsageError

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+)://")
_MAGIC = re.compile(r"[*?[]")
ENV_OPTIONS = "DOCCLEAN_STORAGE_OPTIONS"


def is_remote(path: str | Path) -> bool:
    """True for a URL such as ``s3://bucket/key`` (any fsspec scheme, ``file://`` included)."""
    return isinstance(path, str) and _SCHEME.match(path) is not None


class Url(str):
    """A URL kept whole as a string, with the ``name`` (last part) that progress displays and
    reports ask of a ``Path``; ``Path`` itself would turn ``s3://b/k`` into ``s3:/b/k``."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return PurePosixPath(self.split("://", 1)[1]).name


def location(text: str | Path) -> Path | Url:
    """A source or target as reports and progress events name it: a ``Path`` for a local path,
    the URL itself (a :class:`Url`) for a URL."""
    return Url(text) if is_remote(text) else Path(text)


def storage_options_from_env() -> dict[str, Any]:
    """fsspec keyword arguments from ``DOCCLEAN_STORAGE_OPTIONS`` (a JSON object), or {}."""
    text = os.environ.get(ENV_OPTIONS, "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{ENV_OPTIONS} is not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise UsageError(f"{ENV_OPTIONS} must be a JSON object of file-system options")
    return value


def filesystem(url: str, storage_options: dict[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec file system of ``url`` and the path inside it (without the scheme)."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(url, **(storage_options or {}))
    except (ImportError, ValueError) as exc:
        raise UsageError(f"cannot open {url}: {exc}") from None


def _url(fs: Any, path: str) -> str:
    return fs.unstrip_protocol(path)


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
    if is_remote(location):
        return _identity(*filesystem(location, storage_options))
    return "file", str(path_key(Path(location).expanduser()))


def _inside(identity: tuple[str, str], folder: tuple[str, str]) -> str | None:
    """``identity``'s path relative to ``folder`` when it lies strictly inside it, else None."""
    if identity[0] != folder[0] or not identity[1].startswith(folder[1].rstrip("/") + "/"):
        return None
    return identity[1][len(folder[1].rstrip("/")) + 1:]


def _output_is_input(output: str) -> UsageError:
    # The local engine's words (docclean.plan.check_output); a URL goes into the message, whole.
    reason = ("the output folder is an input folder; choose another output folder "
              "(a rerun would otherwise clean its own outputs)")
    if is_remote(output):
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
    fs, path = filesystem(item, options)
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
    except OSError as exc:
        return [RemoteJob(item, output, f"cannot list it ({exc})")]
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
        jobs.append(RemoteJob(_url(fs, key), output.rstrip("/") + "/" + out_rel, keys=(
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
        if is_remote(item):
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


def existing_outputs(output: str, storage_options: dict[str, Any] | None = None) -> set[str]:
    """Paths, without the scheme, of the non-empty files under an output prefix (temporary
    ``.part`` keys excluded). Without the scheme because the store's own name for it may not be
    the one the user wrote (``s3a://`` lists as ``s3://``, ``az://`` as ``abfs://``)."""
    fs, path = filesystem(output, storage_options)
    fs.invalidate_cache()  # fsspec caches listings per file-system object; another process may have written
    try:
        listing = fs.find(path, detail=True)
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise OutputError(f"{output}: cannot list the output ({exc})") from None
    return {key for key, info in listing.items()
            if info.get("size", 0) and not PurePosixPath(key).name.startswith(".")}


def finished_targets(output: str, targets: list[str], storage_options: dict[str, Any] | None = None) -> set[str]:
    """The ``targets`` (URLs under the output prefix) whose output exists already: the prefix is
    listed once and compared without the scheme (see :func:`existing_outputs`)."""
    done = existing_outputs(output, storage_options)
    if not done:
        return set()
    fs, _ = filesystem(output, storage_options)
    return {t for t in targets if fs._strip_protocol(t) in done}


def page_outputs(target: str, storage_options: dict[str, Any] | None = None) -> list[str]:
    """URLs of existing per-page outputs (``NAME-p001.png``...) of ``target``."""
    fs, path = filesystem(target, storage_options)
    pure = PurePosixPath(path)
    pattern = re.compile(re.escape(pure.stem) + r"-p\d{3,}" + re.escape(pure.suffix) + "$")
    fs.invalidate_cache()
    try:
        names = fs.ls(str(pure.parent), detail=False)
    except FileNotFoundError:
        return []
    return sorted(_url(fs, n) for n in names if pattern.match(PurePosixPath(n).name))


def download(url: str, local: Path, storage_options: dict[str, Any] | None = None) -> Path:
    """Copy ``url`` to the local file ``local``; InputError naming the URL if that fails."""
    fs, path = filesystem(url, storage_options)
    local.parent.mkdir(parents=True, exist_ok=True)
    try:
        fs.get_file(path, str(local))
    except FileNotFoundError:  # no path: the error is about the source, which names it whole
        raise InputError("no such file (it was removed after listing)") from None
    except OSError as exc:
        raise InputError(f"cannot download it ({exc})") from None
    return local


def upload_atomic(local: Path, url: str, storage_options: dict[str, Any] | None = None) -> None:
    """Upload ``local`` so that ``url`` holds the whole file or stays as it was: write a hidden
    temporary key beside it, move it onto ``url``, and remove the temporary key on any failure."""
    fs, path = filesystem(url, storage_options)
    pure = PurePosixPath(path)
    temp = str(pure.parent / f".{pure.name}.docclean-{secrets.token_hex(4)}.part")
    try:
        fs.makedirs(str(pure.parent), exist_ok=True)
        fs.put_file(str(local), temp)
        fs.mv(temp, path)
    except BaseException as exc:
        try:
            if fs.exists(temp):
                fs.rm_file(temp)
        except Exception:  # the upload error is the one worth reporting
            pass
        if isinstance(exc, OSError):  # the URL in the message: as a path it would lose a slash
            raise OutputError(f"{url}: cannot upload it ({exc})") from None
        raise
