"""A believable, deterministic sample of a province: enterprises in several cities,
practitioners with valid ID numbers, roster certificates, employments and registrations,
plus one demo account per role. Running it twice changes nothing (rows are keyed by their
unique numbers and generated from a fixed seed)."""
from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
from flask import current_app
from sqlalchemy import insert, select
from werkzeug.security import check_password_hash

from .dates import add_years, province_today
from .enums import (
    ApplicationState,
    ApplicationType,
    CertificateSource,
    ConsultationCategory,
    EnterpriseStatus,
    RegistrationEventKind,
    RegistrationStatus,
    RegistryStatus,
    Sex,
    VerificationStatus,
)
from .extensions import db
from .identity import CREDIT_ALPHABET, credit_code_check_char, resident_id_check_char
from .models import (
    Application,
    Certificate,
    Consultation,
    Decision,
    Employment,
    Enterprise,
    EnterpriseUser,
    Practitioner,
    QualificationCertificate,
    QualificationType,
    Registration,
    RegistrationEvent,
    RegistrationSpecialty,
    StoredFile,
    application_specialty,
)
from .registry import placeholder_images
from .security import ROLES

# Guangdong prefecture-level cities with their administrative area codes.
CITIES = [
    ("广州市", "440106"), ("深圳市", "440304"), ("珠海市", "440402"), ("汕头市", "440507"),
    ("佛山市", "440604"), ("韶关市", "440203"), ("河源市", "441602"), ("梅州市", "441402"),
    ("惠州市", "441302"), ("汕尾市", "441502"), ("东莞市", "441900"), ("中山市", "442000"),
    ("江门市", "440703"), ("阳江市", "441702"), ("湛江市", "440802"), ("茂名市", "440902"),
    ("肇庆市", "441202"), ("清远市", "441802"), ("潮州市", "445102"), ("揭阳市", "445202"),
    ("云浮市", "445302"),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石"
    "金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏斌波宇浩凯健俊帆帅旭宁颖琳晨欣怡佳嘉梓萱子涵雨轩博文"
    "睿思源喆璟堃昇玥赟淼"
)
TRADES = ["建设工程", "建筑工程", "市政工程", "路桥建设", "机电安装",
          "水利水电", "工程咨询", "造价咨询", "建筑设计", "岩土工程"]
WORDS = ["华信", "宏远", "粤海", "南方", "珠江", "鹏城", "中建", "恒达",
         "东方", "新世纪", "卓越", "天和", "广厦", "建安", "金桥", "安泰"]

@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str  # key of ROLES, or "admin" for FAB's superuser role
    # Chinese names are written whole (family name first); FAB shows "first last", so the
    # whole name goes into first_name.
    full_name: str


DEMO_ACCOUNTS = [
    DemoAccount("admin", "admin", "超级管理员"),
    DemoAccount("practitioner", "practitioner", "陈明"),
    DemoAccount("enterprise", "enterprise", "企业经办人"),
    DemoAccount("reviewer", "reviewer", "刘审查"),
    DemoAccount("approver", "approver", "黄审批"),
    DemoAccount("sysadmin", "sysadmin", "系统管理员"),
    DemoAccount("secadmin", "secadmin", "安全管理员"),
    DemoAccount("auditor", "auditor", "审计管理员"),
]


def make_resident_id(rng: random.Random, area: str, birth: dt.date, male: bool) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if male else 0)
    first17 = f"{area}{birth:%Y%m%d}{rng.randrange(0, 10)}{seq:02d}"
    return first17 + resident_id_check_char(first17)


def make_credit_code(rng: random.Random, area: str) -> str:
    org = "".join(rng.choice(CREDIT_ALPHABET[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    first17 = "91" + area + org
    return first17 + credit_code_check_char(first17)


def _enterprises(rng: random.Random, count: int) -> Iterator[dict]:
    for i in range(count):
        city, area = CITIES[i % len(CITIES)]
        name = f"{city[:-1]}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司"
        yield {
            "name": name if i < len(CITIES) else f"{name[:-4]}第{i // len(CITIES) + 1}分公司",
            "credit_code": make_credit_code(rng, area),
            "legal_representative": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "city": city,
            "address": f"{city}{rng.choice(WORDS)}路{rng.randrange(1, 999)}号",
            "aptitude_certificate_no": f"D{area}{rng.randrange(10**6, 10**7)}",
            "aptitude_expiry": dt.date(2027 + rng.randrange(0, 4), rng.randrange(1, 13), 1),
            "status": EnterpriseStatus.active,
        }


def _practitioners(rng: random.Random, count: int, today: dt.date, seen: set) -> Iterator[dict]:
    """`seen` holds the ID numbers drawn so far: a province-sized sample would otherwise
    draw the same number twice."""
    for _ in range(count):
        id_number = None
        while id_number is None or id_number in seen:
            city, area = rng.choice(CITIES)
            male = rng.random() < 0.8
            birth = today - dt.timedelta(days=rng.randrange(25 * 365, 60 * 365))
            id_number = make_resident_id(rng, area, birth, male)
        seen.add(id_number)
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        yield {
            "real_name": rng.choice(SURNAMES) + given,
            "id_number": id_number,
            "birth_date": birth,
            "sex": Sex.male if male else Sex.female,
            "phone": f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
            "education": rng.choice(["大专", "本科", "本科", "硕士研究生"]),
            "registry_status": RegistryStatus.entered,
        }


def registration_number(qualification: QualificationType, year_qualified: int,
                        year_registered: int, serial: int, province_code: str = "44") -> str:
    return qualification.number_pattern.format(
        province=province_code, qualified=year_qualified, registered=year_registered, serial=serial
    )


def _existing(column, values: list) -> set:
    found: set = set()
    for start in range(0, len(values), 900):  # keep under SQLite's variable limit
        found.update(db.session.scalars(select(column).where(column.in_(values[start:start + 900]))))
    return found


def _placeholder_files() -> tuple[int, int]:
    """One shared placeholder photo and signature (found again by content on a rerun)."""
    ids = []
    for content in (placeholder_images.id_photo(), placeholder_images.signature()):
        digest = hashlib.sha256(content).hexdigest()
        found = db.session.scalar(select(StoredFile.id).where(StoredFile.sha256 == digest))
        if found is None:
            stored = StoredFile(sha256=digest, content_type="image/png", size=len(content),
                                data=content)
            db.session.add(stored)
            db.session.flush()
            found = stored.id
        ids.append(found)
    return ids[0], ids[1]


def load_demo_data(practitioners: int = 200, enterprises: int = 24, seed: int = 2021,
                   progress: Callable[[str], None] = lambda _msg: None) -> dict[str, int]:
    """Insert what is missing of the deterministic sample; return counts inserted."""
    rng = random.Random(seed)
    today = dt.date(2026, 11, 1)  # fixed, so the sample is the same on every run
    created = {"enterprises": 0, "practitioners": 0, "registrations": 0}

    ent_rows = list(_enterprises(rng, enterprises))
    have = _existing(Enterprise.credit_code, [r["credit_code"] for r in ent_rows])
    new = [r for r in ent_rows if r["credit_code"] not in have]
    if new:
        db.session.execute(insert(Enterprise), new)
        created["enterprises"] = len(new)
    ent_ids = dict(db.session.execute(
        select(Enterprise.credit_code, Enterprise.id).where(
            Enterprise.credit_code.in_([r["credit_code"] for r in ent_rows]))).all())
    ent_id_list = [ent_ids[r["credit_code"]] for r in ent_rows]

    quals = db.session.scalars(select(QualificationType).order_by(QualificationType.id)).all()
    photo_id, signature_id = _placeholder_files()
    batch = 2000
    serial = 0
    seen: set[str] = set()
    remaining = practitioners
    while remaining > 0:
        rows = list(_practitioners(rng, min(batch, remaining), today, seen))
        remaining -= len(rows)
        # Draw the dependent choices before filtering so the stream stays deterministic.
        plans = [(rng.choice(quals), rng.randrange(2008, 2025), rng.choice(ent_id_list),
                  rng.random()) for _ in rows]
        have = _existing(Practitioner.id_number, [r["id_number"] for r in rows])
        fresh = [(r, p) for r, p in zip(rows, plans, strict=True) if r["id_number"] not in have]
        serial_base, serial = serial, serial + len(rows)
        if not fresh:
            continue
        db.session.execute(insert(Practitioner), [
            {**r, "photo_id": photo_id, "signature_id": signature_id} for r, _ in fresh])
        ids = dict(db.session.execute(select(Practitioner.id_number, Practitioner.id).where(
            Practitioner.id_number.in_([r["id_number"] for r, _ in fresh]))).all())
        created["practitioners"] += len(fresh)
        created["registrations"] += _add_records(fresh, ids, today, serial_base + 1)
        progress(f"demo: {created['practitioners']} practitioners")
    db.session.commit()
    return created


def _add_records(fresh, ids, today, serial_base) -> int:
    certs, jobs, regs = [], [], []
    for n, (row, (qual, year, ent_id, luck)) in enumerate(fresh):
        pid = ids[row["id_number"]]
        specialty = qual.specialties[n % len(qual.specialties)] if qual.specialties else None
        certs.append({
            "practitioner_id": pid, "real_name": row["real_name"], "id_number": row["id_number"],
            "qualification_id": qual.id, "specialty_id": specialty.id if specialty else None,
            "certificate_number": f"{qual.code[:2].upper()}{year}{serial_base + n:07d}",
            "issue_date": dt.date(year, 6, 1), "source": CertificateSource.roster,
            "verification": VerificationStatus.verified,
        })
        if luck < 0.75:  # three in four are employed and registered
            start = dt.date(year + 1, 3, 1)
            jobs.append({"practitioner_id": pid, "enterprise_id": ent_id, "start_date": start,
                         "contract_checked": True, "insurance_checked": True})
            number = registration_number(qual, year, year + 1, serial_base + n)
            regs.append(({"number": number, "practitioner_id": pid, "qualification_id": qual.id,
                          "enterprise_id": ent_id, "status": RegistrationStatus.valid,
                          "first_registered_on": start}, specialty, qual))
    db.session.execute(insert(QualificationCertificate), certs)
    if jobs:
        db.session.execute(insert(Employment), jobs)
    _demo_applications([(ids[row["id_number"]], plan) for row, plan in fresh
                        if plan[3] >= 0.75], today)
    if not regs:
        return 0
    reg_ids = dict(db.session.execute(
        insert(Registration).returning(Registration.number, Registration.id),
        [reg for reg, _specialty, _qual in regs]).all())
    periods = []
    for n, (reg, specialty, qual) in enumerate(regs):
        # Spread the current period's start over the validity so expiries vary.
        registered = today - dt.timedelta(days=(n * 37) % (qual.validity_years * 365))
        periods.append({
            "registration_id": reg_ids[reg["number"]],
            "specialty_id": specialty.id if specialty else None,
            "registered_on": registered,
            "expires_on": add_years(registered, qual.validity_years),
        })
    db.session.execute(insert(RegistrationSpecialty), periods)
    _demo_history_and_certificates(regs, reg_ids, periods, today)
    _demo_decided_applications(regs, reg_ids)
    return len(regs)


def _demo_history_and_certificates(regs, reg_ids, periods, today: dt.date) -> None:
    """The initial-registration line of each history and a current certificate version
    (bulk inserts: the rules are those of app/certificates/versions.py, applied to one specialty)."""
    births = dict(db.session.execute(select(Practitioner.id, Practitioner.birth_date).where(
        Practitioner.id.in_({reg["practitioner_id"] for reg, _s, _q in regs}))).all())
    usage = dt.timedelta(days=current_app.config["CERTIFICATE_USAGE_DAYS"])
    events, certificates = [], []
    for (reg, specialty, qual), period in zip(regs, periods, strict=True):
        reg_id = reg_ids[reg["number"]]
        events.append({"registration_id": reg_id, "occurred_on": reg["first_registered_on"],
                       "kind": RegistrationEventKind.initial,
                       "enterprise_id": reg["enterprise_id"],
                       "specialties": specialty.name if specialty else ""})
        ends = [today + usage, max(period["expires_on"], today)]
        if qual.age_cap is not None:
            ends.append(add_years(births[reg["practitioner_id"]], qual.age_cap))
        certificates.append({"registration_id": reg_id, "version": 1, "void": False,
                             "token": secrets.token_urlsafe(24), "usage_until": min(ends)})
    db.session.execute(insert(RegistrationEvent), events)
    db.session.execute(insert(Certificate), certificates)


# Where the unregistered applicants of the sample stand, with the history that led there.
DEMO_PATHS = [
    [],
    [("submit", ApplicationState.draft, ApplicationState.pending_enterprise)],
    [("submit", ApplicationState.draft, ApplicationState.pending_enterprise),
     ("forward", ApplicationState.pending_enterprise, ApplicationState.pending_acceptance)],
    [("submit", ApplicationState.draft, ApplicationState.pending_enterprise),
     ("forward", ApplicationState.pending_enterprise, ApplicationState.pending_acceptance),
     ("accept", ApplicationState.pending_acceptance, ApplicationState.under_review)],
    [("submit", ApplicationState.draft, ApplicationState.pending_enterprise),
     ("forward", ApplicationState.pending_enterprise, ApplicationState.pending_acceptance),
     ("accept", ApplicationState.pending_acceptance, ApplicationState.under_review),
     ("pass_review", ApplicationState.under_review, ApplicationState.pending_decision)],
    [("submit", ApplicationState.draft, ApplicationState.pending_enterprise),
     ("forward", ApplicationState.pending_enterprise, ApplicationState.pending_acceptance),
     ("review_return", ApplicationState.pending_acceptance, ApplicationState.returned)],
]
DEMO_ROLE_OF = {"submit": "practitioner", "forward": "enterprise", "accept": "reviewer",
                "pass_review": "reviewer", "review_return": "reviewer"}


# Decided applications of registered people: what the dashboards count as received, decided
# and processing time. One in three registrations has one; one in eight of those refused.
DECIDED_PATH = ["submit", "forward", "accept", "pass_review"]
DECIDED_TYPES = [ApplicationType.change, ApplicationType.renewal, ApplicationType.add_specialty]


def _demo_decided_applications(regs, reg_ids) -> None:
    """Dated from the real date, like the time limits, so the last weeks are never empty."""
    S = ApplicationState
    now = dt.datetime.now(dt.UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    cities = dict(db.session.execute(select(Enterprise.id, Enterprise.city)).all())
    states = [(S.draft, S.pending_enterprise), (S.pending_enterprise, S.pending_acceptance),
              (S.pending_acceptance, S.under_review), (S.under_review, S.pending_decision)]
    for n, (reg, _specialty, qual) in enumerate(regs):
        if n % 3:
            continue
        submitted = now - dt.timedelta(days=7 + (n * 11) % 80)
        took = 3 + (n * 7) % 24  # calendar days to the decision
        refused = n % 8 == 6
        decision = (("refuse", S.pending_decision, S.refused) if refused
                    else ("approve", S.pending_decision, S.approved))
        app_id = db.session.execute(insert(Application).values(
            app_type=DECIDED_TYPES[n // 3 % len(DECIDED_TYPES)], practitioner_id=reg["practitioner_id"],
            qualification_id=qual.id, enterprise_id=reg["enterprise_id"],
            city=cities[reg["enterprise_id"]], registration_id=reg_ids[reg["number"]], state=decision[2],
            details={}, submitted_at=submitted, decided_at=submitted + dt.timedelta(days=took),
        ).returning(Application.id)).scalar_one()
        steps = [(name, *states[i]) for i, name in enumerate(DECIDED_PATH)] + [decision]
        for step, (name, source, target) in enumerate(steps):
            at = submitted + dt.timedelta(days=took * step // (len(steps) - 1))
            db.session.execute(insert(Decision).values(
                application_id=app_id, transition=name, from_state=source, to_state=target,
                actor_role=ROLES[DEMO_ROLE_OF.get(name, "approver")].name,
                reason={"pass_review": "符合条件", "refuse": "继续教育学时不足"}.get(name),
                created_at=at))


def _demo_applications(people, today: dt.date) -> None:
    """Initial applications at every stage, so each queue has work in the demo. Time limits
    count from the real date, so the queues show items due soon and a few overdue."""
    now = province_today()
    cities = dict(db.session.execute(select(Enterprise.id, Enterprise.city)).all())
    for n, (pid, (qual, _year, ent_id, _luck)) in enumerate(people):
        path = DEMO_PATHS[n % len(DEMO_PATHS)]
        state = path[-1][2] if path else ApplicationState.draft
        app_id = db.session.execute(insert(Application).values(
            app_type=ApplicationType.initial, practitioner_id=pid, qualification_id=qual.id,
            enterprise_id=ent_id, state=state, version=len(path) + 1, city=cities[ent_id],
            details={"continuing_education": "2025年度继续教育 60学时"},
            submitted_at=dt.datetime.combine(today, dt.time(9), dt.UTC) if path else None,
            deadline=now + dt.timedelta(days=(n % 12) - 3) if state in (
                ApplicationState.pending_acceptance, ApplicationState.under_review,
                ApplicationState.pending_decision) else None,
        ).returning(Application.id)).scalar_one()
        if qual.specialties:
            db.session.execute(insert(application_specialty).values(
                application_id=app_id, specialty_id=qual.specialties[0].id))
        for step, (name, source, target) in enumerate(path):
            items = ([{"field": "学历", "reason": "请上传毕业证书扫描件"}]
                     if name == "review_return" else None)
            db.session.execute(insert(Decision).values(
                application_id=app_id, transition=name, from_state=source, to_state=target,
                actor_role=ROLES[DEMO_ROLE_OF[name]].name, items=items,
                reason="材料不全" if items else ("符合条件" if name == "pass_review" else None),
                created_at=dt.datetime.combine(today, dt.time(9 + step), dt.UTC)))


def ensure_demo_accounts(appbuilder, accounts_file: Path) -> list[tuple[DemoAccount, str]]:
    """Create the demo accounts that are missing, each with a random password kept in
    instance/ (git-ignored), and enrol those whose role requires two factors (demo_totp_secrets
    gives their secrets). Returns (account, password) for printing."""
    sm = appbuilder.sm
    known = _read_passwords(accounts_file)
    result = []
    for account in DEMO_ACCOUNTS:
        role_name = sm.auth_role_admin if account.role == "admin" else ROLES[account.role].name
        role = sm.find_role(role_name)
        user = sm.find_user(username=account.username)
        password = known.get(account.username)
        if user is None:
            password = secrets.token_urlsafe(9)
            user = sm.add_user(account.username, account.full_name, "",
                               f"{account.username}@demo.invalid", role, password=password)
        elif password is None or not check_password_hash(user.password, password):
            # Not known, or the file is another database's (a database made anew with the
            # instance folder kept): the printed password must be the one that works.
            password = secrets.token_urlsafe(9)
            sm.reset_password(user.id, password)
        _enrol_demo_account(user)
        result.append((account, password))
    _link_demo_people(sm)
    accounts_file.parent.mkdir(parents=True, exist_ok=True)
    accounts_file.write_text("".join(f"{a.username}\t{p}\n" for a, p in result))
    accounts_file.chmod(0o600)
    return result


def _enrol_demo_account(user) -> None:
    """A demo account of a role that requires two factors is enrolled with a new secret,
    unless its enrolment is in effect and readable (a second run keeps it)."""
    from .accounts import two_factor

    if two_factor.is_required(user) and not (two_factor.is_enrolled(user.id)
                                             and two_factor.secret_of(user.id)):
        two_factor.enrol_with_secret(user.id, pyotp.random_base32())


def demo_totp_secrets(appbuilder) -> dict[str, str]:
    """username -> TOTP secret of the demo accounts enrolled, for printing (development)."""
    from .accounts import two_factor

    found = {}
    for account in DEMO_ACCOUNTS:
        user = appbuilder.sm.find_user(username=account.username)
        if user is not None and two_factor.is_enrolled(user.id):
            found[account.username] = two_factor.secret_of(user.id)
    return found


def _read_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line)


def _link_demo_people(sm) -> None:
    """The demo practitioner is a registered person of the sample; the demo enterprise user
    acts for the enterprise that employs them."""
    practitioner_user = sm.find_user(username="practitioner")
    enterprise_user = sm.find_user(username="enterprise")
    if db.session.scalar(select(Practitioner.id).where(Practitioner.user_id == practitioner_user.id)):
        return
    registration = db.session.scalars(
        select(Registration).join(Practitioner).where(Practitioner.user_id.is_(None))
        .order_by(Registration.id)).first()
    if registration is None:
        return
    registration.practitioner.user_id = practitioner_user.id
    practitioner_user.first_name = registration.practitioner.real_name
    linked = select(EnterpriseUser.id).where(EnterpriseUser.user_id == enterprise_user.id)
    if db.session.scalar(linked) is None:
        db.session.add(EnterpriseUser(user_id=enterprise_user.id,
                                      enterprise_id=registration.enterprise_id, is_admin=True))
    db.session.flush()
    _demo_messages(registration)
    db.session.commit()


def _demo_messages(registration: Registration) -> None:
    """The demo practitioner's message centre, written by the same code as in real use: the
    latest decision on their registration and its current certificate."""
    from .certificates.versions import current_certificate, tell_certificate_issued
    from .service.transition_messages import tell_parties
    from .workflow import BY_NAME

    decided = db.session.scalars(select(Application).where(
        Application.registration_id == registration.id,
        Application.state == ApplicationState.approved).order_by(Application.id)).first()
    if decided is not None:
        tell_parties(decided, BY_NAME["approve"])
    certificate = current_certificate(registration)
    if certificate is not None:
        tell_certificate_issued(registration, certificate)


# The demo practitioner's questions: (category, subject, what they wrote, the answer, and the
# public copy as staff would publish it; None = not published). The first ones show the FAQ
# page in use, the last two give the staff a question to answer and one to publish.
C = ConsultationCategory
DEMO_QUESTIONS = [
    (C.entry, "入库登记照片要求",
     "我的证件照是手机拍的，上传时提示背景不合格，应该怎么处理？我的手机号13800138000。",
     "证件照须为白色或浅色背景的正面免冠照片，JPEG 或 PNG 格式。请在浅色墙前重新拍摄后上传，"
     "系统会自动裁剪并转换。",
     "入库登记上传证件照时提示背景不合格，怎么办？",
     "证件照须为白色或浅色背景的正面免冠照片，JPEG 或 PNG 格式。请在浅色墙前重新拍摄后上传，"
     "系统会自动裁剪并转换。"),
    (C.initial, "初始注册需要多久",
     "我在单位提交了初始注册申请，请问多久可以办结？",
     "企业核实上报后，注册管理部门受理并在20个工作日内作出决定；被退回补正的，补正后重新计算。"
     "办理进度可在“我的申请”中查看。",
     "初始注册申请一般多久办结？",
     "企业核实上报后，注册管理部门受理并在20个工作日内作出决定；被退回补正的，补正后重新计算。"
     "办理进度可在“我的申请”中查看。"),
    (C.change, "变更单位后原注册怎么办",
     "我从原公司离职去了新单位，需要先注销再重新注册吗？",
     "不需要注销。新单位签订劳动合同并缴纳社保后，在“我的申请”中提交变更注册，由新单位核实上报；"
     "批准后注册有效期不变。",
     "更换聘用单位后，需要先注销原注册吗？",
     "不需要注销。新单位签订劳动合同并缴纳社保后，在“我的申请”中提交变更注册，由新单位核实上报；"
     "批准后注册有效期不变。"),
    (C.renewal, "延续注册的时间",
     "我的注册明年3月到期，现在可以申请延续吗？继续教育学时不够怎么办？",
     "请在注册有效期届满前30日至届满前提交延续注册申请，并按规定完成继续教育学时。"
     "学时不足的，应先完成继续教育。",
     "注册快到期了，什么时候申请延续注册？",
     "请在注册有效期届满前30日至届满前提交延续注册申请，并按规定完成继续教育学时。"
     "学时不足的，应先完成继续教育。"),
    (C.certificate, "电子证书打印",
     "电子证书打印出来需要盖章吗？",
     "电子证书由注册管理部门电子签章，打印件须本人手写签名后使用；真伪可扫描二维码或在公众查询页核验。",
     "电子注册证书打印后还需要盖章吗？",
     "电子证书由注册管理部门电子签章，打印件须本人手写签名后使用；真伪可扫描二维码或在公众查询页核验。"),
    (C.account, "忘记密码",
     "我忘记了登录密码，怎么找回？",
     None, None, None),
    (C.other, "继续教育证明",
     "继续教育证明需要原件吗？",
     "上传继续教育证明的扫描件即可，原件请妥善保存备查。",
     None, None),
]


def load_demo_questions(sm) -> int:
    """Add the demo practitioner's questions that are missing (keyed by subject)."""
    asker, staff = sm.find_user(username="practitioner"), sm.find_user(username="reviewer")
    if asker is None or staff is None:
        return 0
    have = set(db.session.scalars(select(Consultation.subject).where(
        Consultation.asker_id == asker.id)))
    day = dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC)  # fixed, so reruns add nothing
    added = 0
    for n, (category, subject, question, answer, faq_q, faq_a) in enumerate(DEMO_QUESTIONS):
        if subject in have:
            continue
        asked = day + dt.timedelta(days=3 * n)
        db.session.add(Consultation(
            asker_id=asker.id, category=category, subject=subject, question=question,
            answer=answer, created_at=asked,
            answered_by_id=staff.id if answer else None,
            answered_at=asked + dt.timedelta(days=1) if answer else None,
            faq_question=faq_q, faq_answer=faq_a, published=faq_q is not None,
            published_at=asked + dt.timedelta(days=2) if faq_q else None))
        added += 1
    db.session.commit()
    return added
