"""ID photo and signature image rules (domain.md section 10). The type is decided by the
content, never by the file name; every rule that fails is named in a Chinese message; what
is stored is re-encoded with no metadata, so nothing the uploader put in the file survives
but the pixels."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, ImageStat
from pillow_heif import register_heif_opener

# Refuse before decoding anything larger: a small file can claim a huge canvas (a bomb).
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo (about 150 MB while it is decoded)
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# HEIC is what an iPhone saves by default; pillow-heif's wheel bundles libheif (no network,
# no system library). It applies the HEIF rotation itself and clears the EXIF orientation.
register_heif_opener()
# "MPO" is a JPEG with further pictures after the first (most phone cameras write one):
# Pillow decodes only the first frame unless asked to seek, and that frame is what is kept.
ALLOWED_FORMATS = {"JPEG", "MPO", "PNG", "HEIF"}
# For <input type="file" accept=...>: without the .heic entries a phone's picker may hide them.
ACCEPT = "image/jpeg,image/png,image/heic,image/heif,.heic,.heif"


@dataclass(frozen=True)
class ImageSpec:
    kind: str
    max_bytes: int
    min_width: int
    min_height: int
    portrait: bool | None  # True: taller than wide; False: wider than tall; None: either
    aspect: tuple[float, float] | None  # allowed width/height range
    stored_width: int
    stored_format: str  # "JPEG" or "PNG"
    description: str


# A phone camera's photo is 2-8 MB (12-48 megapixels): the limits take one as it comes, since
# what is stored is re-encoded at stored_width and is a few hundred KB whatever was sent.
PHONE_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO = ImageSpec(
    "photo", PHONE_PHOTO_BYTES, 295, 413, True, (0.62, 0.80), 360, "JPEG",
    _l("Standard colour ID photo: JPEG, PNG or HEIC, portrait about 5:7, at least 295×413 pixels, "
       "light plain background, at most 10 MB."))
SIGNATURE = ImageSpec(
    "signature", PHONE_PHOTO_BYTES, 300, 100, False, None, 600, "PNG",
    _l("Handwritten signature: JPEG, PNG or HEIC, wider than tall, at least 300×100 pixels, dark "
       "strokes on white paper, at most 10 MB."))
SCAN = ImageSpec(
    "scan", PHONE_PHOTO_BYTES, 600, 400, None, None, 1600, "JPEG",
    _l("Scan or photo of the qualification certificate: JPEG, PNG or HEIC, at least 600×400 pixels, "
       "at most 10 MB."))
SPECS = {"photo": PHOTO, "signature": SIGNATURE}


class ImageRejected(ValueError):
    """str(error) names the rule that failed, in the user's language."""


class NotAnImage(ImageRejected):
    """The content is not JPEG, PNG or HEIC (a scan may still be a PDF, app/registry/scans.py)."""


def _open(content: bytes) -> Image.Image:
    if not content:
        raise ImageRejected(_("The file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            fmt = image.format
            if fmt not in ALLOWED_FORMATS:
                raise NotAnImage(_("Only JPEG, PNG or HEIC images are accepted (this file is "
                                   "%(f)s).", f=fmt or "?"))
            if image.width * image.height > MAX_PIXELS:
                raise ImageRejected(_("The image has too many pixels (%(w)s×%(h)s).",
                                      w=image.width, h=image.height))
            image.load()  # decodes fully: truncated or corrupt data fails here
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(_("The image has too many pixels.")) from None
    except Image.UnidentifiedImageError:
        raise NotAnImage(_("The file is not a JPEG, PNG or HEIC image, whatever its name "
                           "says.")) from None
    except (OSError, SyntaxError, ValueError, EOFError, RuntimeError):  # as pillow-heif documents
        raise ImageRejected(_("The image file is damaged or incomplete.")) from None
    image.format_detected = fmt  # type: ignore[attr-defined]
    return image


def _luminance(image: Image.Image, box=None) -> float:
    region = image.crop(box) if box else image
    return ImageStat.Stat(region.convert("L")).mean[0]


def check_and_normalise(kind: str, content: bytes) -> tuple[bytes, str]:
    """Validate an upload against its spec; return (re-encoded bytes, content type)."""
    spec = SCAN if kind == "scan" else SPECS[kind]
    if len(content) > spec.max_bytes:
        raise ImageRejected(_("The file is larger than %(mb)s MB.", mb=spec.max_bytes // 1048576))
    image = ImageOps.exif_transpose(_open(content))  # honour the camera's orientation
    width, height = image.size
    if width < spec.min_width or height < spec.min_height:
        raise ImageRejected(_("The image is %(w)s×%(h)s pixels; at least %(mw)s×%(mh)s needed.",
                              w=width, h=height, mw=spec.min_width, mh=spec.min_height))
    if spec.portrait and width >= height:
        raise ImageRejected(_("The photo must be portrait (taller than wide)."))
    if spec.portrait is False and width <= height:
        raise ImageRejected(_("The signature must be landscape (wider than tall)."))
    if spec.aspect and not spec.aspect[0] <= width / height <= spec.aspect[1]:
        raise ImageRejected(_("The photo's proportions should be about 5:7 (width:height)."))
    rgb = image.convert("RGB")
    if kind == "photo":
        strip = max(4, width // 12)
        if _luminance(rgb, (0, 0, width, strip)) < 150:
            raise ImageRejected(_("The background of the photo must be light and plain."))
    elif kind == "signature":
        if _luminance(rgb) < 170:
            raise ImageRejected(_("The signature must be dark strokes on white paper."))
        if ImageStat.Stat(rgb.convert("L")).extrema[0][0] > 110:
            raise ImageRejected(_("No signature strokes found: write darker and scan again."))
    return _encode(rgb, spec)


def _encode(image: Image.Image, spec: ImageSpec) -> tuple[bytes, str]:
    if image.width > spec.stored_width:
        height = round(image.height * spec.stored_width / image.width)
        image = image.resize((spec.stored_width, height), Image.Resampling.LANCZOS)
    clean = Image.new(image.mode, image.size)  # a fresh image carries no metadata at all
    clean.paste(image)
    out = io.BytesIO()
    if spec.stored_format == "JPEG":
        clean.save(out, "JPEG", quality=88, optimize=True)
        return out.getvalue(), "image/jpeg"
    clean.convert("L").save(out, "PNG", optimize=True)
    return out.getvalue(), "image/png"
