"""The whole registration journey through the REST API alone, as a client system would do
it: a practitioner signs up, enters the registry (personal data, ID photo, signature, a
qualification certificate the authority has on its roster), applies for initial
registration and submits; the enterprise forwards it with its three confirmations; the
reviewer accepts and passes it; the approver approves; the practitioner downloads the signed
certificate PDF, and anyone verifies it by the token of its QR code.

Python's standard library and pyotp (for the staff accounts' two-factor codes) only:

    python examples/api_journey.py http://127.0.0.1:5000 \\
        --enterprise ent_demo:PASSWORD:TOTP_SECRET --reviewer reviewer_demo:PASSWORD:SECRET \\
        --approver approver_demo:PASSWORD:SECRET --photo photo.jpg --signature signature.png

The demo accounts, their passwords and two-factor secrets are printed when `scripts/run.sh`
starts. tests/api/test_api_journey.py runs this script against a real server."""
from __future__ import annotations

import argparse
import json
import random
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pyotp

API = "/api/v1"


class Client:
    """One signed-in account: JSON in and out, Bearer token."""

    def __init__(self, base: str, account: str):
        self.base = base.rstrip("/")
        username, password, *secret = account.split(":", 2)
        body = {"username": username, "password": password, "provider": "db"}
        if secret:
            body["totp"] = pyotp.TOTP(secret[0]).now()
        self.token = self.call("POST", "/security/login", body)["access_token"]

    def call(self, method: str, path: str, body=None, *, files=None, raw=False):
        headers, data = {}, None
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        if files:
            data, headers["Content-Type"] = _multipart(files)
        elif body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        request = urllib.request.Request(self.base + API + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                content = response.read()
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{method} {path}: {error.code} {error.read().decode()}") from None
        return content if raw else json.loads(content)

    def fire(self, application_id: int, name: str, **body):
        """A transition, with what the application's detail says it requires."""
        return self.call("POST", f"/application/{application_id}/{name}", body)


class Anonymous(Client):
    def __init__(self, base: str):  # nobody signs in
        self.base, self.token = base.rstrip("/"), None


def _multipart(files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for field, (name, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                     f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


def resident_id(birth: str) -> str:
    """A valid resident ID number (GB 11643 check character) born on birth (YYYYMMDD)."""
    first17 = f"440106{birth}{random.randint(100, 999)}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]
    return first17 + check


def journey(base: str, enterprise: str, reviewer: str, approver: str, photo: bytes,
            signature: bytes) -> dict:
    public = Anonymous(base)
    staff = {"enterprise": Client(base, enterprise), "reviewer": Client(base, reviewer),
             "approver": Client(base, approver)}
    name, id_number, password = "接口测试", resident_id("19900315"), "Journey-2026x!"

    # 1. Sign-up and 入库登记.
    public.call("POST", "/signup/practitioner", {
        "real_name": name, "id_number": id_number, "phone": "13912345678",
        "password": password, "confirm": password})
    person = Client(base, f"{id_number}:{password}")
    person.call("PUT", "/registry_entry/details", {"phone": "13912345678",
                                                   "email": "", "education": "本科"})
    person.call("POST", "/registry_entry/upload/photo", files={"file": ("photo.jpg", photo)})
    person.call("POST", "/registry_entry/upload/signature",
                files={"file": ("signature.png", signature)})

    # 2. The certificate is on the authority's roster, so the declaration is verified at once.
    roster = staff["reviewer"]
    qualification = next(q for q in roster.call(
        "GET", "/qualification_roster/choices/qualification")["results"] if "建造师" in q["text"])
    specialty = next(s for s in roster.call(
        "GET", "/qualification_roster/choices/specialty")["results"]
        if s["qualification"] == qualification["id"])
    number = f"JZ{random.randint(10**9, 10**10 - 1)}"
    certificate = {"qualification": qualification["id"], "specialty": specialty["id"],
                   "certificate_number": number, "issue_date": "2025-06-01"}
    roster.call("POST", "/qualification_roster/", {**certificate, "real_name": name,
                                                    "id_number": id_number})
    person.call("POST", "/my_qualification_certificate/", certificate)
    assert person.call("POST", "/registry_entry/submit")["registry_status"] == "entered"

    # 3. The application to the enterprise of the --enterprise account, found by typing its
    #    name, as on the web form.
    [own] = staff["enterprise"].call("GET", "/own_enterprise/")["result"]
    employer = person.call("GET", "/apply_initial/choices/enterprise?q=" + urllib.parse.quote(
        own["name"]))["results"][0]
    draft = person.call("POST", "/apply_initial/", {
        "qualification": qualification["id"], "specialties": [specialty["id"]],
        "enterprise": employer["id"]})["id"]
    person.fire(draft, "submit")

    # 4. Enterprise, reviewer, approver: each reads its queue, then what the detail requires.
    queue = staff["enterprise"].call("GET", "/enterprise_queue/")
    assert draft in queue["ids"]
    detail = staff["enterprise"].call("GET", f"/enterprise_queue/{draft}")["result"]
    forward = next(t for t in detail["transitions"] if t["name"] == "forward")
    staff["enterprise"].fire(draft, "forward", confirm=[c["key"] for c in forward["confirm"]])
    assert draft in staff["reviewer"].call("GET", "/acceptance_queue/")["ids"]
    staff["reviewer"].fire(draft, "accept")
    staff["reviewer"].fire(draft, "pass_review", reason="材料齐全，符合初始注册条件")
    staff["approver"].fire(draft, "approve")
    final = person.call("GET", f"/my_application/{draft}")["result"]

    # 5. The certificate, and its public verification by the token of its QR code.
    [registration] = person.call("GET", "/my_registration/")["ids"]
    pdf = person.call("GET", f"/my_registration/{registration}/certificate", raw=True)
    number = person.call("GET", f"/my_registration/{registration}")["result"]["number"]
    verified = public.call("POST", "/verify/registration", {"real_name": name,
                                                             "number": number})
    return {"application": draft, "state": final["state"], "timeline": final["timeline"],
            "registration": registration, "number": number, "pdf": pdf,
            "verified": verified}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    for role in ("enterprise", "reviewer", "approver"):
        parser.add_argument(f"--{role}", required=True, help="username:password[:totp_secret]")
    parser.add_argument("--photo", required=True, help="a standard ID photo (JPEG)")
    parser.add_argument("--signature", required=True, help="the handwritten signature image")
    args = parser.parse_args()
    with open(args.photo, "rb") as photo, open(args.signature, "rb") as signature:
        result = journey(args.base_url, args.enterprise, args.reviewer, args.approver,
                         photo.read(), signature.read())
    print(f"application {result['application']}: {result['state']}; registration "
          f"{result['number']}; certificate PDF {len(result['pdf'])} bytes; public record: "
          f"{result['verified']['record']['real_name']}")


if __name__ == "__main__":
    main()
