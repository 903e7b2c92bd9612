"""The bulk part of the provincial-scale loader (bench/provincial_scale.py load).

After the real migrations, `flask roles sync` and a small `flask demo load` (the demo accounts
and a few hundred people made by the app's own code), this brings the register to provincial
size in bulk: enterprises and practitioners generated in Python by the demo's own generators
(valid credit codes and ID numbers) and sent with COPY; everything that depends on them
(certificates, employments, registrations, applications, their specialties and history)
written by `INSERT … SELECT` over generate_series, so that the million applications never
travel through Python.

Shape of the data, chosen so that every row is one the app could have written:
- bulk practitioner number i works for enterprise (i·7919 mod E), holds a verified roster
  certificate of qualification 1 + i mod 4 and, for three in four, a valid registration of it
  (one specialty period, certificate version 1, an initial history line);
- application j belongs to practitioner i = j mod P and concerns qualification
  1 + (i + j div P) mod 4, so no person has two applications of one qualification: the
  partial unique index on open applications holds whatever the states;
- an application of the registered qualification changes, renews, adds a specialty to,
  cancels or corrects that registration; the others are initial (or re-) registrations,
  whose approval creates a registration no other valid one blocks;
- states are spread by a hash of j over all nine, with the history of the path that leads
  there (submit, forward, accept, pass_review, approve …), reviewer steps by the demo
  reviewer and decisions by the demo approver, so the demo approver may decide the
  pending ones (separation of duties); time limits around today, some overdue."""
from __future__ import annotations

import datetime as dt
import io
import random
import time

# State of application j by bucket (j·2654435761 mod 100): percentages, then the path of
# transitions (name, from, to, role key) that leads there.
STATE_SHARE = [
    ("draft", 12), ("pending_enterprise", 7), ("returned", 4), ("pending_acceptance", 10),
    ("under_review", 10), ("pending_decision", 10), ("approved", 38), ("refused", 5),
    ("withdrawn", 4),
]
_SUBMIT = ("submit", "draft", "pending_enterprise", "practitioner")
_FORWARD = ("forward", "pending_enterprise", "pending_acceptance", "enterprise")
_ACCEPT = ("accept", "pending_acceptance", "under_review", "reviewer")
_PASS = ("pass_review", "under_review", "pending_decision", "reviewer")
PATHS = {
    "draft": [],
    "pending_enterprise": [_SUBMIT],
    "returned": [_SUBMIT, _FORWARD, ("review_return", "pending_acceptance", "returned",
                                     "reviewer")],
    "pending_acceptance": [_SUBMIT, _FORWARD],
    "under_review": [_SUBMIT, _FORWARD, _ACCEPT],
    "pending_decision": [_SUBMIT, _FORWARD, _ACCEPT, _PASS],
    "approved": [_SUBMIT, _FORWARD, _ACCEPT, _PASS,
                 ("approve", "pending_decision", "approved", "approver")],
    "refused": [_SUBMIT, _FORWARD, _ACCEPT, _PASS,
                ("refuse", "pending_decision", "refused", "approver")],
    "withdrawn": [_SUBMIT, ("withdraw", "pending_enterprise", "withdrawn", "practitioner")],
}
REASONS = {"pass_review": "符合条件", "refuse": "继续教育学时不足", "review_return": "材料不全"}
OPEN_WITH_DEADLINE = ("pending_acceptance", "under_review", "pending_decision")


def _copy(cur, table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples; None is NULL) into table; text format, tabs never in the values."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
        count += 1
    buffer.seek(0)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    return count


def _step(label: str, started: list[float]) -> None:
    now = time.perf_counter()
    print(f"  {label:<58} {now - started[0]:6.1f} s", flush=True)
    started[0] = now


def load_bulk(conn, practitioners: int, enterprises: int, applications: int,
              today: dt.date, seed: int = 16) -> None:
    """Top the register up to the given sizes (conn: psycopg2). One transaction: a load that
    fails half-way leaves the demo sample only, and a rerun with --keep starts again."""
    from app.demo import _enterprises, _practitioners

    clock = [time.perf_counter()]
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    cur = conn.cursor()
    cur.execute("SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; "
                "SET work_mem = '64MB'")

    cur.execute("SELECT (SELECT count(*) FROM application), (SELECT count(*) FROM decision)")
    have, history = cur.fetchone()
    if have >= applications:
        print(f"  already {have:,} applications and {history:,} history rows: nothing to add")
        return

    cur.execute("SELECT credit_code FROM enterprise")
    known = {code for (code,) in cur.fetchall()}
    missing = enterprises - len(known)
    rows = []
    for row in _enterprises(rng, missing + 50):  # a few spare for the rare repeated code
        if len(rows) == missing:
            break
        if row["credit_code"] not in known:
            known.add(row["credit_code"])
            rows.append((row["name"], row["credit_code"], row["legal_representative"],
                         row["city"], row["address"], row["aptitude_certificate_no"],
                         row["aptitude_expiry"], "active", now))
    _copy(cur, "enterprise", ["name", "credit_code", "legal_representative", "city", "address",
                              "aptitude_certificate_no", "aptitude_expiry", "status",
                              "created_at"], rows)
    _step(f"enterprises: {len(rows)} added (COPY)", clock)

    cur.execute("SELECT id_number FROM practitioner")
    seen = {number for (number,) in cur.fetchall()}
    missing = practitioners - len(seen)
    cur.execute("SELECT photo_id, signature_id FROM practitioner WHERE photo_id IS NOT NULL "
                "ORDER BY id LIMIT 1")
    photo_id, signature_id = cur.fetchone()
    cur.execute("SELECT max(id) FROM practitioner")
    last_demo_id = cur.fetchone()[0]
    people = ((r["real_name"], r["id_number"], r["birth_date"], r["sex"].name, r["phone"],
               r["education"], photo_id, signature_id, "entered", now)
              for r in _practitioners(rng, missing, today, seen))
    added = _copy(cur, "practitioner", ["real_name", "id_number", "birth_date", "sex", "phone",
                                        "education", "photo_id", "signature_id",
                                        "registry_status", "created_at"], people)
    _step(f"practitioners: {added} added (COPY)", clock)

    _people_and_registrations(cur, last_demo_id, today, now)
    _step("certificates, employments, registrations (INSERT … SELECT)", clock)
    _applications(cur, applications, today, now)
    _step("applications and their specialties (INSERT … SELECT)", clock)
    _history(cur)
    _step("history rows (INSERT … SELECT)", clock)
    conn.commit()


def _people_and_registrations(cur, last_demo_id: int, today: dt.date, now: dt.datetime) -> None:
    # bp: bulk person number i -> id, employer, registered qualification and its specialty.
    # Qualification 1 (constructor) has six specialties, 3 (cost) two, 2 and 4 none.
    cur.execute("""
        CREATE TEMP TABLE be AS
            SELECT (row_number() OVER (ORDER BY id) - 1)::int AS k, id AS eid, city
            FROM enterprise;
        CREATE TEMP TABLE bp AS
            SELECT p.i, p.pid, be.eid, be.city, 1 + p.i %% 4 AS qid,
                   p.i %% 4 <> 3 AS registered, 2008 + p.i %% 17 AS qualified
            FROM (SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id AS pid
                  FROM practitioner WHERE id > %(last)s) p
            JOIN be ON be.k = (p.i::bigint * 7919) %% (SELECT count(*) FROM be);
        ALTER TABLE bp ADD COLUMN sid int;
        UPDATE bp SET sid = s.id FROM (
            SELECT id, qualification_id,
                   (row_number() OVER (PARTITION BY qualification_id ORDER BY id) - 1)::int AS n,
                   count(*) OVER (PARTITION BY qualification_id) AS of
            FROM specialty) s
        WHERE s.qualification_id = bp.qid AND s.n = (bp.i / 4) %% s.of;
        CREATE UNIQUE INDEX ON bp (i);
        ANALYZE bp;
        INSERT INTO qualification_certificate (practitioner_id, real_name, id_number,
            qualification_id, specialty_id, certificate_number, issue_date, source, verification)
        SELECT bp.pid, p.real_name, p.id_number, bp.qid, bp.sid,
               'BQ' || bp.qualified || lpad(bp.i::text, 7, '0'), make_date(bp.qualified, 6, 1),
               'roster', 'verified'
        FROM bp JOIN practitioner p ON p.id = bp.pid;
        INSERT INTO employment (practitioner_id, enterprise_id, start_date, contract_checked,
                                insurance_checked)
        SELECT pid, eid, make_date(qualified + 1, 3, 1), true, true FROM bp;
    """, {"last": last_demo_id})
    # Registration numbers of the bulk have a six-digit serial from 100000: never one the
    # demo (five digits, small) or an approval (this year's counter, five digits) makes.
    cur.execute("""
        INSERT INTO registration (number, practitioner_id, qualification_id, enterprise_id,
                                  status, first_registered_on, created_at)
        SELECT replace(replace(replace(q.number_pattern, '{province}', '44'),
                               '{qualified}', bp.qualified::text),
                       '{registered}{serial:05d}', (bp.qualified + 1)::text || (100000 + bp.i)),
               bp.pid, bp.qid, bp.eid, 'valid', make_date(bp.qualified + 1, 3, 1), %(now)s
        FROM bp JOIN qualification_type q ON q.id = bp.qid WHERE bp.registered;
        ALTER TABLE bp ADD COLUMN rid int;
        UPDATE bp SET rid = r.id FROM registration r
        WHERE r.practitioner_id = bp.pid AND r.qualification_id = bp.qid AND bp.registered;
        INSERT INTO registration_specialty (registration_id, specialty_id, registered_on,
                                            expires_on)
        SELECT bp.rid, bp.sid, %(today)s::date - (bp.i * 37) %% (q.validity_years * 365),
               %(today)s::date - (bp.i * 37) %% (q.validity_years * 365)
                 + make_interval(years => q.validity_years)
        FROM bp JOIN qualification_type q ON q.id = bp.qid WHERE bp.rid IS NOT NULL;
        INSERT INTO registration_event (registration_id, occurred_on, kind, enterprise_id,
                                        specialties, created_at)
        SELECT bp.rid, make_date(bp.qualified + 1, 3, 1), 'initial', bp.eid,
               coalesce(s.name, ''), %(now)s
        FROM bp LEFT JOIN specialty s ON s.id = bp.sid WHERE bp.rid IS NOT NULL;
        INSERT INTO certificate (registration_id, version, token, issued_at, usage_until, void)
        SELECT bp.rid, 1, 'bulk' || bp.i || md5(bp.pid::text), %(now)s,
               %(today)s::date + 180, false
        FROM bp WHERE bp.rid IS NOT NULL;
    """, {"now": now, "today": today})


def _state_case(column: str) -> str:
    """SQL CASE mapping a 0..99 bucket to the state names of STATE_SHARE."""
    parts, upto = [], 0
    for state, share in STATE_SHARE:
        upto += share
        parts.append(f"WHEN {column} < {upto} THEN '{state}'")
    return "CASE " + " ".join(parts) + " END"


def _applications(cur, total: int, today: dt.date, now: dt.datetime) -> None:
    cur.execute("SELECT count(*) FROM application")
    missing = total - cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM bp")
    people = cur.fetchone()[0]
    steps = {state: len(path) for state, path in PATHS.items()}
    step_whens = " ".join(f"WHEN '{s}' THEN {n}" for s, n in steps.items())
    deadline_states = ", ".join(f"'{s}'" for s in OPEN_WITH_DEADLINE)
    # g: application j, its person and qualification, state bucket and two other hashes.
    cur.execute(f"""
        CREATE TEMP TABLE ga AS
        SELECT j, bp.pid, bp.eid, bp.city, bp.rid, bp.sid, bp.i,
               1 + (bp.i + j / %(people)s) %% 4 AS qid,
               j / %(people)s = 0 AND bp.rid IS NOT NULL AS of_registration,
               {_state_case("(j::bigint * 2654435761) %% 100")} AS state,
               ((j::bigint * 40503) %% 1000003)::int AS h
        FROM generate_series(0, %(missing)s - 1) AS j
        JOIN bp ON bp.i = j %% %(people)s;
        ALTER TABLE ga ADD COLUMN app_type text, ADD COLUMN submitted timestamptz;
        UPDATE ga SET
          app_type = CASE
            WHEN of_registration THEN (CASE
              WHEN h %% 10 < 3 THEN 'renewal' WHEN h %% 10 < 6 THEN 'change'
              WHEN h %% 10 < 8 AND qid IN (1, 3) THEN 'add_specialty'
              WHEN h %% 10 = 8 THEN 'cancellation' ELSE 'correction' END)
            ELSE (CASE WHEN h %% 20 < 17 THEN 'initial' WHEN h %% 20 < 19 THEN 're_registration'
                       ELSE 'correction' END) END,
          submitted = CASE
            WHEN state = 'draft' THEN NULL
            WHEN state IN ('approved', 'refused', 'withdrawn')
              THEN %(now)s - make_interval(days => 30 + h %% 700, mins => h %% 600)
            ELSE %(now)s - make_interval(days => h %% 40, mins => h %% 600) END;
    """, {"people": people, "missing": missing, "now": now})
    # Closed applications of another qualification than the registered one are history:
    # their registration is not kept by the sample (registration_id NULL), like a
    # cancelled person's.
    cur.execute(f"""
        INSERT INTO application (app_type, practitioner_id, qualification_id, enterprise_id,
            city, registration_id, state, details, created_at, submitted_at, decided_at,
            deadline, version)
        SELECT app_type, pid, qid, eid, city,
               CASE WHEN of_registration THEN rid END, state,
               (CASE app_type
                  WHEN 'change' THEN '{{"change_reason": "调入本单位"}}'
                  WHEN 'cancellation' THEN '{{"cancellation_reason": "调离建设行业"}}'
                  WHEN 'correction' THEN '{{"correction_field": "phone", "correction_value":
                      "13800138000", "correction_reason": "手机号码变更",
                      "corrections": {{"phone": "13800138000"}}}}'
                  ELSE '{{"continuing_education": "2025年度继续教育 60学时"}}' END)::json,
               coalesce(submitted - interval '1 day', %(now)s - make_interval(days => h %% 60)),
               submitted,
               CASE WHEN state IN ('approved', 'refused')
                    THEN least(%(now)s, submitted + make_interval(days => 1 + h %% 60)) END,
               CASE WHEN state IN ({deadline_states})
                    THEN %(today)s::date + (h %% 40 - 8) END,
               1 + CASE state {step_whens} END
        FROM ga ORDER BY j;
    """, {"now": now, "today": today})
    # Specialties: a held one for a renewal, another one for add_specialty, the person's
    # own for a new registration of the qualifications that have specialties.
    cur.execute("""
        INSERT INTO application_specialty (application_id, specialty_id)
        SELECT a.id, CASE WHEN a.app_type = 'add_specialty' THEN s2.id ELSE s.id END
        FROM application a
        JOIN bp ON bp.pid = a.practitioner_id
        JOIN LATERAL (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n,
                             count(*) OVER () AS of
                      FROM specialty WHERE qualification_id = a.qualification_id) s
             ON s.n = (bp.i / 4) % s.of
        JOIN LATERAL (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n,
                             count(*) OVER () AS of
                      FROM specialty WHERE qualification_id = a.qualification_id) s2
             ON s2.n = ((bp.i / 4) + 1) % s2.of
        WHERE a.app_type IN ('initial', 're_registration', 'renewal', 'add_specialty');
    """)


def _history(cur) -> None:
    from app.security import ROLES

    path_rows = [(state, n, name, source, target, ROLES[role].name, role,
                  REASONS.get(name))
                 for state, path in PATHS.items()
                 for n, (name, source, target, role) in enumerate(path)]
    cur.execute("CREATE TEMP TABLE bpath (state text, n int, transition text, source text, "
                "target text, role_name text, role_key text, reason text)")
    _copy(cur, "bpath", ["state", "n", "transition", "source", "target", "role_name",
                         "role_key", "reason"], path_rows)
    cur.execute("SELECT id FROM ab_user WHERE username = 'reviewer'")
    reviewer = cur.fetchone()[0]
    cur.execute("SELECT id FROM ab_user WHERE username = 'approver'")
    approver = cur.fetchone()[0]
    # Each step's time: spread between submission and decision (or now for open ones).
    cur.execute("""
        INSERT INTO decision (application_id, transition, from_state, to_state, actor_id,
                              actor_role, reason, items, created_at)
        SELECT a.id, p.transition, p.source, p.target,
               CASE p.role_key WHEN 'reviewer' THEN %(reviewer)s
                               WHEN 'approver' THEN %(approver)s END,
               p.role_name, p.reason,
               CASE WHEN p.transition = 'review_return'
                    THEN '[{"field": "学历", "reason": "请上传毕业证书扫描件"}]'::json END,
               a.submitted_at + (coalesce(a.decided_at, a.submitted_at + interval '3 days')
                                 - a.submitted_at) * p.n / 5
        FROM application a JOIN bpath p ON p.state = a.state
        WHERE a.practitioner_id IN (SELECT pid FROM bp)
        ORDER BY a.id, p.n;
    """, {"reviewer": reviewer, "approver": approver})
