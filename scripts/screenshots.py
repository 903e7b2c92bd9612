"""For maintainers: refresh docs/screenshots/journey-*.png from the browser suite's last run
(bash scripts/test.sh tests/browser), scaled to at most 1000 px wide."""
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "instance" / "browser-screenshots" / "sqlite"
WANTED = {  # step of the journey -> name in docs/screenshots
    "practitioner-registry-entry": "journey-registry-entry",
    "practitioner-returned": "journey-returned",
    "enterprise-enterprise-verifies": "journey-enterprise-verifies",
    "enterprise-changes-since-return": "journey-changes-since-return",
    "reviewer-return": "journey-return",
    "practitioner-certificate": "journey-certificate",
    "public-verify": "journey-verify",
    "admin-role": "journey-role",
}

for step, name in WANTED.items():
    [found] = SOURCE.glob(f"[0-9][0-9]-{step}.png")
    image = Image.open(found)
    if image.width > 1000:
        image = image.resize((1000, round(image.height * 1000 / image.width)), Image.LANCZOS)
    image.convert("RGB").quantize(colors=256).save(ROOT / "docs" / "screenshots" / f"{name}.png",
                                                   optimize=True)
    print(name)
