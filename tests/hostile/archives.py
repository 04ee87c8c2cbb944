"""Zip archives and folders that try to break intake (path tricks, links, bombs, damaged files)."""
from __future__ import annotations

import io
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    name: str
    data: bytes = b""
    mode: int | None = None                 # full st_mode (type bits + permissions) stored in external_attr
    compression: int = zipfile.ZIP_DEFLATED


def zip_bytes(entries: list[Entry]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name)
            info.compress_type = entry.compression
            if entry.mode is not None:
                info.external_attr = entry.mode << 16
                info.create_system = 3      # unix, so tools honour the mode bits
            zf.writestr(info, entry.data)
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def zip_slip(notebook: bytes) -> bytes:
    return zip_bytes([
        Entry("notebook.ipynb", notebook),
        Entry("../../escaped.txt", b"owned"),
        Entry("/tmp/absolute-escape.txt", b"owned"),
        Entry("..\\..\\backslash-escape.txt", b"owned"),
        Entry("sub/../../dotdot-escape.txt", b"owned"),
    ])


def links_and_devices(notebook: bytes) -> bytes:
    return zip_bytes([
        Entry("notebook.ipynb", notebook),
        Entry("shadow", b"/etc/shadow", mode=stat.S_IFLNK | 0o777),
        Entry("predictions.csv", b"/etc/passwd", mode=stat.S_IFLNK | 0o777),
        Entry("tty", b"", mode=stat.S_IFCHR | 0o666),
        Entry("fifo", b"", mode=stat.S_IFIFO | 0o644),
        Entry("setuid-script.sh", b"#!/bin/sh\n", mode=stat.S_IFREG | stat.S_ISUID | 0o777),
    ])


def ratio_bomb(notebook: bytes, *, megabytes: int = 8) -> bytes:
    """One member that inflates ~1000:1, honest about its size in the headers."""
    return zip_bytes([Entry("notebook.ipynb", notebook), Entry("zeros.bin", bytes(megabytes * 2**20))])


def many_members(notebook: bytes, count: int) -> bytes:
    return zip_bytes([Entry("notebook.ipynb", notebook)] + [Entry(f"f/{i}.txt", b"x") for i in range(count)])


def lying_sizes(notebook: bytes, *, real_bytes: int, claimed_bytes: int) -> bytes:
    """A member whose headers claim `claimed_bytes` but whose deflate stream holds `real_bytes`."""
    data = zip_bytes([Entry("notebook.ipynb", notebook), Entry("big.bin", bytes(real_bytes))])
    real, fake = real_bytes.to_bytes(4, "little"), claimed_bytes.to_bytes(4, "little")
    return _patch_sizes(data, name=b"big.bin", real=real, fake=fake)


def marked_encrypted(notebook: bytes) -> bytes:
    """A member whose headers say it is encrypted (zipfile cannot write real encryption)."""
    data = zip_bytes([Entry("notebook.ipynb", notebook), Entry("secret.csv", b"a,b\n")])
    return _patch_field(data, name=b"secret.csv", offsets=(6, 8), edit=lambda flags: bytes([flags[0] | 1, flags[1]]))


def _patch_sizes(data: bytes, *, name: bytes, real: bytes, fake: bytes) -> bytes:
    def edit(old: bytes) -> bytes:
        assert old == real
        return fake
    return _patch_field(data, name=name, offsets=(22, 24), edit=edit, width=4)


def _patch_field(data: bytes, *, name: bytes, offsets: tuple[int, int], edit, width: int = 2) -> bytes:
    """Rewrite one header field of member `name` in its local (PK34) and central (PK12) header."""
    out = bytearray(data)
    for sig, field_at, name_at in ((b"PK\x03\x04", offsets[0], 30), (b"PK\x01\x02", offsets[1], 46)):
        pos = out.find(sig)
        while pos != -1:
            if out[pos + name_at:pos + name_at + len(name)] == name:
                out[pos + field_at:pos + field_at + width] = edit(bytes(out[pos + field_at:pos + field_at + width]))
            pos = out.find(sig, pos + 1)
    return bytes(out)


def renamed(data: bytes, old: bytes, new: bytes) -> bytes:
    """Swap raw name bytes (same length) in both the local and central headers."""
    assert len(old) == len(new) and data.count(old) == 2
    return data.replace(old, new)


def cp437_names(notebook: bytes) -> bytes:
    """A name in a legacy code page without the UTF-8 flag (as old Windows tools write them)."""
    return renamed(zip_bytes([Entry("notebook.ipynb", notebook), Entry("cafX.txt", b"menu")]),
                   b"cafX.txt", b"caf\x82.txt")


def invalid_utf8_names(notebook: bytes) -> bytes:
    """A name flagged UTF-8 whose bytes are not UTF-8."""
    return renamed(zip_bytes([Entry("notebook.ipynb", notebook), Entry("caf\u00e9.txt", b"menu")]),
                   "caf\u00e9.txt".encode(), b"caf\xff\xfe.txt")


def wrapped_with_junk(notebook: bytes) -> bytes:
    return zip_bytes([
        Entry("my-solution/", b""),
        Entry("my-solution/notebook.ipynb", notebook),
        Entry("my-solution/NEXT_STEPS.md", b"# Next steps\n"),
        Entry("my-solution/.DS_Store", b"\x00\x00\x00\x01Bud1"),
        Entry("__MACOSX/my-solution/._notebook.ipynb", b"\x00\x05\x16\x07"),
        Entry("my-solution/.ipynb_checkpoints/notebook-checkpoint.ipynb", notebook),
    ])


def nested_archive(notebook: bytes) -> bytes:
    inner = zip_bytes([Entry("inner/notebook.ipynb", notebook), Entry("../../inner-escape.txt", b"x")])
    return zip_bytes([Entry("notebook.ipynb", notebook), Entry("extras.zip", inner)])


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def corrupt_member(notebook: bytes) -> bytes:
    """Flip bytes inside the compressed notebook so inflating it fails or its CRC does not match."""
    data = bytearray(zip_bytes([Entry("notebook.ipynb", notebook)]))
    start = 30 + len("notebook.ipynb")
    for i in range(start + 5, start + 25):
        data[i] ^= 0xFF
    return bytes(data)


def hostile_folder(root: Path, notebook: bytes, *, outside: Path) -> Path:
    """A folder submission with a symlink to a host file, a symlinked folder and a FIFO."""
    root.mkdir(parents=True)
    (root / "notebook.ipynb").write_bytes(notebook)
    os.symlink(outside, root / "predictions.csv")
    os.symlink(outside.parent, root / "hostdir")
    os.mkfifo(root / "pipe")
    return root
