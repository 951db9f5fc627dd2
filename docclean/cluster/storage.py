"""Object storage (``s3://bucket/prefix``, ``gs://``, ``az://``, ``file://``...): URLs, file systems
and moving bytes.

Any file system that fsspec knows works (S3 needs the ``s3fs`` package, GCS ``gcsfs``, ...). The
engine itself reads and writes local files, so this layer moves bytes around it:

* **inputs**: each file is downloaded to a local temporary folder just before it is cleaned
  (which files a run has, and where their outputs go, is ``docclean.cluster.remote_discover``);
* **outputs** are uploaded to a hidden temporary key beside their final key
  (``.NAME.docclean-HEX.part``), then moved onto the final key (a rename where the store has one,
  copy-then-delete on S3), so a key under the output prefix only ever holds a whole file;
* **skip what is done**: the output prefix is listed once; an input whose output key exists is
  skipped without being downloaded (a key can only exist whole, see above). Keys are compared
  without their scheme, since one store answers to several (``s3a://`` is ``s3://``).

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
from pathlib import Path, PurePosixPath
from typing import Any

from docclean.errors import Cancelled, InputError, OutputError, UsageError

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+)://")
ENV_OPTIONS = "DOCCLEAN_STORAGE_OPTIONS"


def is_remote(path: str | Path) -> bool:
    """True for a URL such as ``s3://bucket/key`` (any fsspec scheme, ``file://`` included)."""
    return isinstance(path, str) and _SCHEME.match(path) is not None


def file_url_path(location: str | Path) -> Path | None:
    """The local path a ``file://`` URL names (``file:///srv/out``, ``file://localhost/srv/out``), as
    a plain path of that place would be: the output lock and a run's work folders go there; None
    for a plain path and for any other URL (object storage)."""
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    if not isinstance(location, str) or location[:7].lower() != "file://":
        return None
    parsed = urlparse(location)
    if parsed.netloc not in ("", "localhost"):
        return None
    return Path(url2pathname(parsed.path))


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
        return fsspec.core.url_to_fs(_no_localhost(url), **(storage_options or {}))
    except (ImportError, ValueError) as exc:
        hint = " (pip install 'docclean[s3]')" if isinstance(exc, ImportError) and "s3fs" in str(exc) else ""
        raise UsageError(f"cannot open {url}: {exc}{hint}") from None


def _no_localhost(url: str) -> str:
    """``file://localhost/srv/out`` as ``file:///srv/out``: fsspec takes the host for a relative
    folder (``./localhost/srv/out``), elsewhere than the folder the output's lock holds
    (:func:`file_url_path`)."""
    return "file://" + url[16:] if url[:17].lower() == "file://localhost/" else url


def store_failure(exc: Exception) -> str:
    """Why a call to a store failed, in a few words. Stores raise their own exceptions beside
    OSError (botocore's ``NoCredentialsError``, ``EndpointConnectionError``), so callers catch any
    Exception but Cancelled and say it in one line; the type names what an OSError's text does not."""
    text = str(exc)
    return text if isinstance(exc, OSError) and text else f"{type(exc).__name__}: {text}".rstrip(": ")


def _url(fs: Any, path: str) -> str:
    return fs.unstrip_protocol(path)


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
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - any store's failure: see store_failure
        raise OutputError(f"{output}: cannot list the output ({store_failure(exc)})") from None
    return {key for key, info in listing.items()
            if info.get("size", 0) and not PurePosixPath(key).name.startswith(".")}


def finished_targets(output: str, targets: list[str], storage_options: dict[str, Any] | None = None) -> set[str]:
    """The ``targets`` (URLs under the output prefix) whose output exists already: the prefix is
    listed once and compared without the scheme (see :func:`existing_outputs`)."""
    done = existing_outputs(output, storage_options)
    if not done:
        return set()
    fs, _ = filesystem(output, storage_options)
    return {t for t in targets if fs._strip_protocol(_no_localhost(t)) in done}


def read_head(url: str, size: int, storage_options: dict[str, Any] | None = None) -> bytes | None:
    """The first ``size`` bytes of the file at ``url``, or None when there is none; OutputError
    naming the URL when the store cannot say."""
    fs, path = filesystem(url, storage_options)
    try:
        # A range read: fs.open would read ahead a whole block (50 MiB on S3) for 16 bytes.
        return bytes(fs.cat_file(path, start=0, end=size))
    except FileNotFoundError:
        return None
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - any store's failure: see store_failure
        raise OutputError(f"{url}: cannot read what is there ({store_failure(exc)})") from None


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
