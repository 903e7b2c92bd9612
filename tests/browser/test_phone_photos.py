"""Phone photos through the real 入库登记 page (issue 15, point 3): the file picker offers
HEIC, an iPhone's HEIC photo uploaded at a phone's 390 px and a phone camera's MPO JPEG at
1280 px are both taken, and the preview shows each as the JPEG that was stored (Chromium
itself cannot show HEIC, so a preview that loads is the stored JPEG)."""
from __future__ import annotations

from app.registry.images import ACCEPT
from tests import image_samples as samples
from tests.people import PASSWORD

PICKER = "form[action$='/upload/photo'] input[type=file]"


def _upload_photo(actor, name: str, content: bytes, mime: str) -> None:
    actor.open("/registry/")
    assert actor.page.get_attribute(PICKER, "accept") == ACCEPT
    actor.page.set_input_files(PICKER, files=[{"name": name, "mimeType": mime, "buffer": content}])
    actor.page.click("form[action$='/upload/photo'] button[type=submit]")
    assert "已上传" in actor.flash(), actor.flash()
    preview = actor.page.locator("img[alt='证件照片']")
    preview.wait_for()
    assert preview.evaluate("img => img.complete && img.naturalWidth") == 360


def test_a_heic_and_an_mpo_photo_are_taken_by_the_entry_page(live_server, actors):
    phone = actors("practitioner-phone", phone=True).login("prac_a", PASSWORD)
    _upload_photo(phone, "IMG_0001.HEIC", samples.heic(827, 1158), "image/heic")
    assert "HEIC" in phone.shot("registry-entry-heic-390")

    desktop = actors("practitioner-desktop").login("prac_b", PASSWORD)
    _upload_photo(desktop, "IMG_20261202_101500.jpg", samples.phone_jpeg(827, 1158), "image/jpeg")
    desktop.shot("registry-entry-mpo-1280")
