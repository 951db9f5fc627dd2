"""Inputs and outputs in object storage: ``file://`` URLs, and S3 through a moto server on
127.0.0.1 (never a real cloud), with the local engine and the Ray engine."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from cluster_helpers import hidden, import_or_skip, tree, write_image, write_pdf

from docclean.batch import clean_batch
from docclean.cluster import clean_with_engine, storage
from docclean.cluster.remote_discover import discover_remote
from docclean.errors import EXIT_OK, OutputError
from docclean.progress import CleanProgress
from docclean.report import CLEANED, SKIPPED


def scans(folder: Path) -> Path:
    write_image(folder / "a.png", 1)
    write_image(folder / "sub" / "b.jpg", 2)
    write_pdf(folder / "sub" / "book.pdf", 3, pages=2)
    write_image(folder / "stack.tif", 5, pages=3)
    write_image(folder / ".hidden" / "skip.png", 9)
    (folder / "notes.txt").write_text("not a scan")
    return folder


def run(inputs: list[str], output: str, settings, engine: str = "local", progress=None, **kw):  # noqa: ANN001, ANN003
    return clean_with_engine(engine, inputs, output, settings, progress or CleanProgress(), **kw)


def test_file_urls_work_like_local_paths_and_resume(tmp_path, settings) -> None:
    src = scans(tmp_path / "scans")
    clean_batch([str(src)], tmp_path / "local", settings.replace(fmt="png"))
    out = (tmp_path / "out").as_uri()
    report = run([src.as_uri()], out, settings.replace(fmt="png"))
    assert report.exit_code == EXIT_OK
    assert tree(tmp_path / "out") == tree(tmp_path / "local")
    assert sorted(tree(tmp_path / "out")) == ["a.png", "stack-p001.png", "stack-p002.png", "stack-p003.png",
                                              "sub/b.png", "sub/book-p001.png", "sub/book-p002.png"]
    assert hidden(tmp_path / "out") == []
    assert all(str(t).startswith("file://") for f in report.files for t in f.targets)
    # Resume: whole outputs are skipped without download; a missing page of a split file is redone alone.
    (tmp_path / "out" / "stack-p002.png").unlink()
    again = run([src.as_uri()], out, settings.replace(fmt="png"))
    status = {Path(str(f.source)).name: f for f in again.files}
    assert status["a.png"].status == SKIPPED
    assert status["stack.tif"].status == CLEANED
    assert [p.status for p in status["stack.tif"].pages] == [SKIPPED, CLEANED, SKIPPED]
    assert tree(tmp_path / "out") == tree(tmp_path / "local")


def test_a_failed_upload_leaves_neither_the_target_nor_a_temporary_key(tmp_path, monkeypatch) -> None:
    import fsspec.implementations.local as local_fs

    def broken_mv(self, path1, path2, **kw):  # noqa: ANN001, ANN003
        raise OSError("connection reset")

    monkeypatch.setattr(local_fs.LocalFileSystem, "mv", broken_mv)
    (tmp_path / "page.png").write_bytes(b"whole file")
    (tmp_path / "bucket").mkdir()
    with pytest.raises(OutputError, match="connection reset"):
        storage.upload_atomic(tmp_path / "page.png", (tmp_path / "bucket" / "page.png").as_uri())
    assert list((tmp_path / "bucket").iterdir()) == []


def test_remote_discovery_mirrors_the_tree_and_skips_hidden_and_unsupported(tmp_path) -> None:
    src = scans(tmp_path / "scans")
    jobs = discover_remote([src.as_uri(), (src / "nothing-here").as_uri()], "s3://b/out", "pdf")
    ok = {j.source.rsplit("/scans/", 1)[1]: j.target for j in jobs if j.error is None}
    assert ok == {"a.png": "s3://b/out/a.pdf", "stack.tif": "s3://b/out/stack.pdf",
                  "sub/b.jpg": "s3://b/out/sub/b.pdf", "sub/book.pdf": "s3://b/out/sub/book.pdf"}
    assert [j.error for j in jobs if j.error] == ["no such file or folder"]
    globbed = discover_remote([src.as_uri() + "/sub/*.jpg"], "s3://b/out", None)
    assert [(j.source.rsplit("/", 1)[1], j.target) for j in globbed] == [("b.jpg", "s3://b/out/b.jpg")]


# -- S3, through moto's server on loopback -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on 127.0.0.1 and the fsspec options that reach it."""
    import_or_skip("s3fs", "s3fs is not installed: pip install -e '.[s3]'")
    server_mod = import_or_skip("moto.server", "moto's server is not installed: pip install -e '.[cluster-test]'")
    port = _free_port()
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    options = {"endpoint_url": f"http://127.0.0.1:{port}", "key": "testing", "secret": "testing",
               "client_kwargs": {"region_name": "us-east-1"}}
    import boto3

    boto3.client("s3", endpoint_url=options["endpoint_url"], aws_access_key_id="testing",
                 aws_secret_access_key="testing", region_name="us-east-1").create_bucket(Bucket="scans")
    yield options
    server.stop()


def _upload_tree(folder: Path, url: str, options: dict) -> None:
    fs, root = storage.filesystem(url, options)
    for path in folder.rglob("*"):
        if path.is_file():
            fs.put_file(str(path), f"{root}/{path.relative_to(folder).as_posix()}")


def _download_tree(url: str, folder: Path, options: dict) -> dict[str, bytes]:
    fs, root = storage.filesystem(url, options)
    fs.invalidate_cache()
    return {key[len(root) + 1:]: fs.cat_file(key) for key in sorted(fs.find(root))}


def test_s3_in_and_out_with_the_local_engine(tmp_path, settings, s3) -> None:
    src = scans(tmp_path / "scans")
    _upload_tree(src, "s3://scans/batch1", s3)
    clean_batch([str(src)], tmp_path / "local", settings)
    report = run(["s3://scans/batch1"], "s3://scans/clean1", settings, storage_options=s3)
    assert report.exit_code == EXIT_OK
    assert {str(f.source) for f in report.files} == {"s3://scans/batch1/a.png", "s3://scans/batch1/stack.tif",
                                                      "s3://scans/batch1/sub/b.jpg", "s3://scans/batch1/sub/book.pdf"}
    assert _download_tree("s3://scans/clean1", tmp_path, s3) == tree(tmp_path / "local")  # no .part keys either
    again = run(["s3://scans/batch1"], "s3://scans/clean1", settings, storage_options=s3)
    assert [f.status for f in again.files] == [SKIPPED] * 4


@pytest.mark.slow
def test_s3_with_the_ray_engine_equals_the_local_engine(tmp_path, settings, s3, ray_session) -> None:
    src = scans(tmp_path / "scans")
    _upload_tree(src, "s3://scans/batch2", s3)
    clean_batch([str(src)], tmp_path / "local", settings)
    report = run(["s3://scans/batch2"], "s3://scans/clean2", settings, "ray", workers=2, storage_options=s3)
    assert report.exit_code == EXIT_OK and [f.status for f in report.files] == [CLEANED] * 4
    assert _download_tree("s3://scans/clean2", tmp_path, s3) == tree(tmp_path / "local")
    # A local folder in, S3 out, also through Ray.
    local_in = run([str(src)], "s3://scans/clean3", settings, "ray", workers=1, storage_options=s3)
    assert local_in.exit_code == EXIT_OK
    assert _download_tree("s3://scans/clean3", tmp_path, s3) == tree(tmp_path / "local")


def test_the_cli_takes_urls_with_the_local_engine(tmp_path, settings) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    src = scans(tmp_path / "scans")
    clean_batch([str(src)], tmp_path / "local", settings)
    args = ["clean", src.as_uri(), "-o", (tmp_path / "out").as_uri(), "--model", settings.model,
            "--backend", "torch", "--device", "cpu", "--precision", "fp32", "--threads", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "4 cleaned, 0 skipped, 0 failed" in result.output
    assert tree(tmp_path / "out") == tree(tmp_path / "local")
    dry = CliRunner().invoke(app, args + ["--dry-run"])
    assert dry.exit_code == 0 and "0 would be cleaned, 4 skipped" in dry.output


# -- the review's cases: outputs inside inputs, URLs kept whole, Ctrl-C, another name of the store --


def test_a_url_output_that_is_an_input_folder_is_refused_and_one_inside_it_is_not_read(tmp_path, settings) -> None:
    from docclean.cluster import driver
    from docclean.errors import UsageError

    src = tmp_path / "in"
    write_image(src / "101.png", 1)
    write_image(src / "clean" / "101.png", 2)  # an earlier run's output, inside the input folder
    write_image(tmp_path / "other" / "b.png", 3)
    overwrite = settings.replace(overwrite=True)
    for inputs, output in [([src.as_uri()], src.as_uri()), ([src.as_uri() + "/"], src.as_uri() + "/"),
                           ([src.as_uri() + "/*.png"], src.as_uri()), ([str(src)], src.as_uri()),
                           ([src.as_uri()], str(src))]:
        with pytest.raises(UsageError, match="the output folder is an input folder"):
            driver.plan_files(inputs, output, overwrite)
    # An output inside the input folder is not an input (a rerun would clean its own outputs).
    for inputs in ([src.as_uri()], [str(src)]):
        plan = driver.plan_files(inputs, (src / "clean").as_uri(), overwrite)
        assert [(t.source.rsplit("/in/", 1)[1], t.target.rsplit("/in/", 1)[1]) for t in plan.tasks] == \
            [("101.png", "clean/101.png")]
    # A file whose output would be itself fails alone, as with the local engine.
    plan = driver.plan_files([(src / "101.png").as_uri(), (tmp_path / "other" / "b.png").as_uri()], src.as_uri(),
                             overwrite)
    assert "refusing to write over an input file" in plan.slots[0].error
    assert [t.target.rsplit("/", 1)[1] for t in plan.tasks] == ["b.png"]


def test_urls_keep_their_double_slash_in_errors_reports_and_progress(tmp_path, settings, monkeypatch) -> None:
    import re

    import fsspec.implementations.local as local_fs

    src = tmp_path / "scans"
    write_image(src / "a.png", 1)
    write_image(src / "b.png", 2)
    real_get, real_mv = local_fs.LocalFileSystem.get_file, local_fs.LocalFileSystem.mv

    def get_file(self, path, local, **kw):  # noqa: ANN001, ANN003
        if path.endswith("b.png"):
            raise FileNotFoundError(path)  # removed after listing
        return real_get(self, path, local, **kw)

    def mv(self, path1, path2, **kw):  # noqa: ANN001, ANN003
        if path2.endswith("a.png"):
            raise OSError("connection reset")
        return real_mv(self, path1, path2, **kw)

    monkeypatch.setattr(local_fs.LocalFileSystem, "get_file", get_file)
    monkeypatch.setattr(local_fs.LocalFileSystem, "mv", mv)

    class Keys(CleanProgress):
        def __init__(self) -> None:
            self.keys: list[tuple[str, str]] = []

        def on_file_start(self, job, pages) -> None:  # noqa: ANN001
            self.keys.append((str(job.source), job.source.name))

    progress = Keys()
    missing = (tmp_path / "missing").as_uri()
    report = clean_with_engine("local", [src.as_uri(), missing], (tmp_path / "out").as_uri(), settings, progress)
    files = {str(f.source): f for f in report.files}
    assert sorted(files) == sorted([(src / "a.png").as_uri(), (src / "b.png").as_uri(), missing])
    assert (tmp_path / "out" / "a.png").as_uri() + ": cannot upload it" in files[(src / "a.png").as_uri()].error
    assert files[(src / "b.png").as_uri()].error.startswith((src / "b.png").as_uri() + ": no such file")
    assert files[missing].error.startswith(missing + ": ")
    assert progress.keys == [((src / "a.png").as_uri(), "a.png")]
    assert not re.search(r"file:/(?!//)", str(report.to_json()))


def test_ctrl_c_keeps_the_finished_page_outputs_of_the_file_in_hand(tmp_path, settings) -> None:
    src = tmp_path / "scans"
    write_image(src / "stack.tif", 5, pages=3)
    png = settings.replace(fmt="png")
    clean_batch([str(src)], tmp_path / "local", png)

    class CtrlC(CleanProgress):
        def on_page_done(self, job, page) -> None:  # noqa: ANN001
            if page.index == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run([src.as_uri()], (tmp_path / "out").as_uri(), png, progress=CtrlC())
    kept = tree(tmp_path / "out")
    assert "stack-p001.png" in kept and "stack-p003.png" not in kept
    assert all(kept[k] == v for k, v in tree(tmp_path / "local").items() if k in kept)
    # Their stamp, as a local run leaves it: a rescan of stack.tif cleans them again (docclean.resume).
    assert hidden(tmp_path / "out") == [".stack.png.docclean-pages"]
    again = run([src.as_uri()], (tmp_path / "out").as_uri(), png)
    assert [p.status for p in again.files[0].pages][:1] == [SKIPPED]
    assert tree(tmp_path / "out") == tree(tmp_path / "local")
    assert hidden(tmp_path / "out") == []


def test_resume_skips_finished_outputs_under_another_name_of_the_store(tmp_path, settings, s3) -> None:
    write_image(tmp_path / "scans" / "a.png", 1)
    _upload_tree(tmp_path / "scans", "s3://scans/batch4", s3)
    first = run(["s3a://scans/batch4"], "s3a://scans/clean4", settings, storage_options=s3)
    assert [f.status for f in first.files] == [CLEANED]
    again = run(["s3a://scans/batch4"], "s3a://scans/clean4", settings, storage_options=s3)
    assert [f.status for f in again.files] == [SKIPPED]


def test_a_file_that_is_no_output_is_never_replaced_from_or_to_a_url(tmp_path, settings) -> None:
    """The local engine's rule (docclean.plan.check_not_foreign) holds when an input or the output is
    a URL: the worker checks what lies at the target, since a URL plan opens no target."""
    src = tmp_path / "scans"
    write_image(src / "a.png", 1)
    write_image(src / "b.png", 2)
    for output, overwrite in ((tmp_path / "local", False), (tmp_path / "local", True), (tmp_path / "url", True)):
        output.mkdir(exist_ok=True)
        (output / "a.png").write_text("my notes")
        inputs, out = ([src.as_uri()], str(output)) if output.name == "local" else ([str(src)], output.as_uri())
        report = run(inputs, out, settings.replace(overwrite=overwrite))
        failed = {Path(str(f.source)).name: f.error for f in report.files if f.error}
        assert list(failed) == ["a.png"] and "something that is no png file has this output's name" in failed["a.png"]
        assert (output / "a.png").read_text() == "my notes"  # kept
        assert (output / "b.png").read_bytes().startswith(b"\x89PNG")
    assert "file:///" in failed["a.png"]  # a URL named whole


def test_a_page_output_that_is_another_input_s_output_is_neither_taken_nor_replaced(tmp_path, settings) -> None:
    src = tmp_path / "scans"
    write_image(src / "a.tif", 1, pages=2)
    write_image(src / "a-p002.png", 9)  # its output has the name of a.tif's page 2
    png = settings.replace(fmt="png")
    local = clean_batch([str(src)], tmp_path / "local", png)
    url = run([src.as_uri()], str(tmp_path / "out"), png)
    for report in (local, url):
        status = {Path(str(f.source)).name: (f.status, f.error) for f in report.files}
        assert status["a-p002.png"][0] == CLEANED and status["a.tif"][0] == "failed"
        assert "this page output is already the output of another input" in status["a.tif"][1]
    assert tree(tmp_path / "out") == tree(tmp_path / "local") == {"a-p002.png": tree(tmp_path / "out")["a-p002.png"]}
    # A second URL run: the page output is there, whole, and still no page of a.tif.
    again = run([src.as_uri()], str(tmp_path / "out"), png)
    assert {Path(str(f.source)).name: f.status for f in again.files} == {"a-p002.png": SKIPPED, "a.tif": "failed"}


def test_a_store_s_own_exceptions_are_one_line_errors(tmp_path, settings, monkeypatch) -> None:
    import fsspec.implementations.local as local_fs

    class NoCredentialsError(Exception):  # botocore's are no OSError
        pass

    def no_credentials(self, *args, **kw):  # noqa: ANN001, ANN002, ANN003
        raise NoCredentialsError("Unable to locate credentials")

    write_image(tmp_path / "scans" / "a.png", 1)
    monkeypatch.setattr(local_fs.LocalFileSystem, "isdir", no_credentials)
    jobs = discover_remote([(tmp_path / "scans").as_uri()], str(tmp_path / "out"), None)
    assert [j.error for j in jobs] == ["cannot list it (NoCredentialsError: Unable to locate credentials)"]
    monkeypatch.undo()
    monkeypatch.setattr(local_fs.LocalFileSystem, "find", no_credentials)
    with pytest.raises(OutputError, match="cannot list the output .NoCredentialsError: Unable to locate"):
        storage.existing_outputs((tmp_path / "out").as_uri())


def test_read_head_reads_the_first_bytes_or_says_there_is_none(tmp_path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.7\n" + b"x" * 100_000)
    assert storage.read_head((tmp_path / "a.pdf").as_uri(), 16) == b"%PDF-1.7\n" + b"x" * 7
    assert storage.read_head((tmp_path / "none.pdf").as_uri(), 16) is None
    assert storage.store_failure(OSError()) == "OSError" and storage.store_failure(OSError("gone")) == "gone"
