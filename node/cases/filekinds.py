"""What a material's file is, judged by its bytes (magic numbers), never by its name.

A window takes what it scans or photographs: PDF, JPEG, PNG, OFD (GB/T 33190, a zip with OFD.xml at
its root), TIFF, BMP, GIF and WebP. An electronic licence given in place of a material (无证明) is a
wuji sealed document, JSON with a "format"; it is verified where licences are checked. Anything else
(a program, a script, a text, an archive, an Office file) is named in words so the refusal can say
what the file is.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from signing.seals import read_json

SEALED_MEDIA_TYPE = "application/vnd.wuji.sealed+json"
ACCEPTED_WORDS = "PDF、JPG、PNG、OFD、TIFF、BMP、GIF、WebP"

_SCRIPT_SUFFIXES = {".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".sh", ".hta", ".py"}
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}  # the DIB header sizes BMP writers use


def scan_type(content: bytes) -> str | None:
    """The media type of a scan or photo, or None for a file that is none of the accepted kinds."""
    if content.startswith(b"%PDF"):
        return "application/pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG"):
        return "image/png"
    if content.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if content.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"BM") and int.from_bytes(content[14:18], "little") in _BMP_HEADER_SIZES:
        return "image/bmp"
    if _zip_names(content) & {"OFD.xml", "ofd.xml"}:
        return "application/ofd"
    return None


def is_sealed_document(content: bytes) -> bool:
    """A wuji sealed document by its shape (its seal is verified where licences are checked)."""
    if not content.lstrip().startswith(b"{"):
        return False
    try:
        document = read_json(content)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(document, dict) and isinstance(document.get("format"), str)


def described(content: bytes, file_name: str = "") -> str:
    """What a file that is not a scan is, in the words a window reads (the name only refines a text)."""
    if content.startswith((b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        return "可执行程序"
    if content.startswith(b"#!"):
        return "脚本"
    names = _zip_names(content)
    if "[Content_Types].xml" in names or content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "办公文档（Word、Excel 等）"
    if content.startswith(b"PK\x03\x04") or content.startswith((b"Rar!", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")):
        return "压缩包"
    if is_sealed_document(content):
        return "加盖印章的电子文件"
    if _is_text(content):
        if PurePath(file_name).suffix.lower() in _SCRIPT_SUFFIXES:
            return "脚本或批处理文件"
        return "文本文件"
    return "无法识别的文件"


def _zip_names(content: bytes) -> set[str]:
    if not content.startswith(b"PK\x03\x04"):
        return set()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return set()


def _is_text(content: bytes) -> bool:
    head = content[:4096]
    if b"\0" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue  # a multibyte character cut at 4096 bytes, or another encoding
    return False
