"""Attachments: images and PDF only, type checked by content, size-limited."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 5
SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]


def sniff_content_type(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def validate_upload(upload) -> str:
    """Returns the content type read from the file's first bytes, or raises a ValidationError."""
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(_("“%(name)s” is too large: 5 MB at most.") % {"name": upload.name}, code="too_large")
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise ValidationError(
            _("“%(name)s” is not an image (PNG, JPEG, GIF, WebP) or a PDF.") % {"name": upload.name}, code="bad_type"
        )
    return content_type
