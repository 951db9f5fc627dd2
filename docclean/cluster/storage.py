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
  skipped without being downloaded (a key can only exist whole, see above).

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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from docclean import formats
from docclean.errors import InputError, OutputError, UsageError

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+)://")
_MAGIC = re.compile(r"[*?[]")
ENV_OPTIONS = "DOCCLEAN_STORAGE_OPTIONS"


def is_remote(path: str | Path) -> bool:
    """True for a URL such as ``s3://bucket/key`` (any fsspec scheme, ``file://`` included)."""
    return isinstance(path, str) and _SCHEME.match(path) is not None


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


def _supported(name: str) -> bool:
    return formats.is_supported(Path(name))


@dataclass
class RemoteJob:
    """One input (a URL or local path) and the URL (or path) of its output; ``error`` as in
    ``discover.Job``."""

    source: str
    target: str
    error: str | None = None


def _target(output: str, relative: str, source: str, fmt: str | None) -> str:
    rel = PurePosixPath(relative)
    rel = rel.with_suffix(formats.output_suffix(Path(rel.name), fmt))
    return output.rstrip("/") + "/" + rel.as_posix()


def _expand_remote(item: str, output: str, fmt: str | None, options: dict[str, Any] | None) -> list[RemoteJob]:
    fs, path = filesystem(item, options)
    fs.invalidate_cache()
    suffixes = ", ".join(sorted(formats.SUPPORTED_SUFFIXES))
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
            found, error = [path], ""
        else:
            return [RemoteJob(item, output, "no such file or folder")]
    except OSError as exc:
        return [RemoteJob(item, output, f"cannot list it ({exc})")]
    jobs = []
    for key in found:
        relative = key[len(base):].lstrip("/") if base else key
        if any(part.startswith(".") for part in PurePosixPath(relative).parts) or not _supported(key):
            continue
        jobs.append(RemoteJob(_url(fs, key), _target(output, relative, key, fmt)))
    return jobs or [RemoteJob(item, output, error)]


def discover_remote(inputs: list[str], output: str, fmt: str | None,
                    storage_options: dict[str, Any] | None = None) -> list[RemoteJob]:
    """Expand inputs (URLs or local paths) into jobs writing under the output (a URL or a local
    folder), mirroring trees like ``discover.discover``. Never raises for a bad input."""
    from docclean.discover import discover

    jobs: list[RemoteJob] = []
    for item in inputs:
        if is_remote(item):
            jobs.extend(_expand_remote(item, output, fmt, storage_options))
            continue
        # A local input: reuse the local rules for the tree, then move the target under ``output``.
        anchor = Path("/nonexistent-docclean-anchor")
        for job in discover([item], anchor, fmt):
            if job.error is not None:
                jobs.append(RemoteJob(item, output, job.error))
            else:
                relative = job.target.relative_to(anchor).as_posix()
                jobs.append(RemoteJob(str(job.source), output.rstrip("/") + "/" + relative))
    claimed: dict[str, str] = {}
    for job in jobs:
        if job.error is None:
            if job.target in claimed:
                job.error = f"output {job.target} is already the output of {claimed[job.target]}"
            else:
                claimed[job.target] = job.source
    return jobs


def existing_outputs(output: str, storage_options: dict[str, Any] | None = None) -> set[str]:
    """URLs of the non-empty files under an output prefix (temporary ``.part`` keys excluded)."""
    fs, path = filesystem(output, storage_options)
    fs.invalidate_cache()  # fsspec caches listings per file-system object; another process may have written
    try:
        listing = fs.find(path, detail=True)
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise OutputError(f"cannot list the output ({exc})", output) from None
    return {_url(fs, key) for key, info in listing.items()
            if info.get("size", 0) and not PurePosixPath(key).name.startswith(".")}


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
    except FileNotFoundError:
        raise InputError("no such file (it was removed after listing)", url) from None
    except OSError as exc:
        raise InputError(f"cannot download it ({exc})", url) from None
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
        if isinstance(exc, OSError):
            raise OutputError(f"cannot upload it ({exc})", url) from None
        raise
