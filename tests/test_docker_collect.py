"""Reading the run's result files out of the engine's archive of OUT, without an engine: what is taken from
the one archive, and where reading stops so that the rest is fetched file by file (and a file over the cap
is never transferred)."""
from __future__ import annotations

import io
import tarfile

from takehome_harness.harness.sandbox.docker_backend import _result_files_of

CAP = 100


def archive(*members: tuple[str, bytes | None, bytes], chunk: int = 7) -> list[bytes]:
    """An archive of OUT as the engine sends it, cut into small chunks; (name, content or None for a folder,
    type)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "/etc/passwd"
            info.size = len(content or b"")
            tar.addfile(info, io.BytesIO(content) if content else None)
    data = buffer.getvalue()
    return [data[i:i + chunk] for i in range(0, len(data), chunk)]


FOLDER = ("harness-out", None, tarfile.DIRTYPE)


def test_every_result_file_comes_from_the_one_archive():
    got = _result_files_of(iter(archive(FOLDER, ("harness-out/executed.ipynb", b"{}", tarfile.REGTYPE),
                                        ("harness-out/status.json", b'{"a": 1}', tarfile.REGTYPE),
                                        ("harness-out/trace.jsonl", b"", tarfile.REGTYPE),
                                        ("harness-out/files.json", b"[]", tarfile.REGTYPE))), cap=CAP)
    assert got == {"executed.ipynb": b"{}", "status.json": b'{"a": 1}', "trace.jsonl": b"", "files.json": b"[]"}


def test_reading_stops_at_a_file_over_the_cap_before_its_content_is_read():
    chunks = archive(FOLDER, ("harness-out/executed.ipynb", b"{}", tarfile.REGTYPE),
                     ("harness-out/trace.jsonl", b"x" * 2**22, tarfile.REGTYPE),
                     ("harness-out/status.json", b"{}", tarfile.REGTYPE), chunk=4096)
    consumed = []

    def stream():
        for chunk in chunks:
            consumed.append(chunk)
            yield chunk

    assert _result_files_of(stream(), cap=CAP) == {"executed.ipynb": b"{}"}
    assert sum(map(len, consumed)) < 64 * 1024       # of the big file, no more than the read-ahead buffers


def test_reading_stops_at_a_link_an_unknown_name_or_a_repeated_name():
    for odd in [("harness-out/status.json", None, tarfile.SYMTYPE),
                ("harness-out/other.txt", b"x", tarfile.REGTYPE),
                ("harness-out/executed.ipynb", b"again", tarfile.REGTYPE)]:
        got = _result_files_of(iter(archive(FOLDER, ("harness-out/executed.ipynb", b"{}", tarfile.REGTYPE), odd,
                                            ("harness-out/files.json", b"[]", tarfile.REGTYPE))), cap=CAP)
        assert got == {"executed.ipynb": b"{}"}, odd


def test_a_cut_archive_keeps_what_was_read_whole():
    chunks = archive(FOLDER, ("harness-out/executed.ipynb", b"{}", tarfile.REGTYPE),
                     ("harness-out/status.json", b"y" * 50, tarfile.REGTYPE))
    whole = b"".join(chunks)
    cut = whole[:whole.index(b"y" * 50) + 10]
    assert _result_files_of(iter([cut]), cap=CAP) == {"executed.ipynb": b"{}"}
