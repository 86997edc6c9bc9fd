"""Rights engine: plan, export and erase one person among 1,000,000, on PostgreSQL only.

Generates, in a database of its own (``privet_bench_rights``, created and dropped), the data of
PRIVET_BENCH_PEOPLE people (1,000,000 by default; ``--quick``: 100,000) as the app makes it:

- enquiries (one each, a tenth of the people two), at every status, with their status history,
  an operator's note on every other one and the two outbox mails of a contact-form enquiry;
- 10 consent receipts per person on average (10,000,000), over the last two years, COPYed
  through the partitioned parent table into its monthly partitions;
- an earlier, completed rights request for a tenth of the people;
- the audit events all of that writes (a valid hash chain, sealed with the audit key).

Everything is COPYed in one pass (several COPY streams at once, foreign keys and the append-only
triggers set aside by ``session_replication_role = replica`` while loading data that is
consistent by construction), then ANALYZEd; the time is printed.

Then, for PRIVET_BENCH_SAMPLE (100) randomly chosen people, each registered source of the
studio's own data is called as the rights engine calls it (``engine.sources_for``), with the
person's email, phone and visitor id: ``plan``; ``export`` plus the JSON serialisation of the
exports; ``erase``. Printed: p50 and p99 of each, in ms and as a ratio to a single indexed lookup
(one enquiry by primary key through the ORM) timed in the same run, against the goals (export
p50 < 100 ms, p99 < 500 ms; erasure the same).

Every statement the sources run for one person is captured and EXPLAINed (the plans are
printed). The bench fails when a plan reads a table of more than 10,000 rows by Seq Scan, or when
a query on a table of personal data has no index to serve it (EXPLAINed again with
``enable_seqscan = off``, it still shows a Seq Scan), which a scaled-down run catches too.

PRIVET_BENCH_PG (default postgres://postgres@127.0.0.1:5432) names the server; without a
reachable PostgreSQL the bench says so and is skipped. PRIVET_BENCH_GOALS=off reports the time
goals without failing on them (the suite's tiny run, on a busy machine); the plans still count.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgserver import admin, pg_base, reachable  # noqa: E402 (the bench folder is on the path above)

POLICY = ROOT / "src" / "privet" / "policy" / "default_policy.yaml"
DB_NAME = os.environ.get("PRIVET_BENCH_RIGHTS_DB", "privet_bench_rights")
RECEIPTS_PER_PERSON = 10  # on average: 1 to 19
SEQ_SCAN_LIMIT = 10_000  # rows: a Seq Scan of a bigger table for one person fails the bench
GOALS_MS = {"export": (100, 500), "erase": (100, 500)}  # (p50, p99)
DAYS = 730  # receipts and enquiries spread over the last two years
CHUNK = 20_000  # lines per COPY write
# Tables the generator fills: a query on one of them must have an index to serve it.
PERSON_TABLES = ("enquiries_enquiry", "enquiries_enquirynote", "enquiries_enquirystatuschange",
                 "enquiries_outgoingmail", "consent_consentreceipt", "audit_auditevent",
                 "rights_rightsrequest")


def main(args) -> bool:
    """``make bench``'s entry: the bench runs in a child process, whose Django is set up on the
    bench's own database (an earlier bench in this process set Django up on another one)."""
    env = dict(os.environ)
    if getattr(args, "quick", False):
        env.setdefault("PRIVET_BENCH_PEOPLE", "100000")
    return subprocess.run([sys.executable, __file__], env=env).returncode == 0


# --- set-up -------------------------------------------------------------------------------------


def setup_django(url: str) -> None:
    os.environ["PRIVET_SECRET_KEY"] = "bench-only-" + "r" * 40
    os.environ["PRIVET_DATA_DIR"] = tempfile.mkdtemp(prefix="privet-bench-rights-")
    os.environ["PRIVET_DATABASE_URL"] = url
    os.environ.setdefault("PRIVET_CACHE_BACKEND", "locmem")
    os.environ["PRIVET_LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "privet.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from privet.audit import actors
    from privet.policy.services import publish_version

    publish_version(source=POLICY.read_text(), actor=actors.CLI, origin=POLICY.name)


# --- the people -----------------------------------------------------------------------------------

def email_of(i: int) -> str:
    """As the person typed it into the contact form; some in capitals (found ignoring case)."""
    return f"Person{i}@Example.org" if i % 4 == 0 else f"person{i}@example.org"


def phone_of(i: int) -> str:
    """Two people in three gave a phone, written with spaces ("" for the others)."""
    if i % 3 == 0:
        return ""
    s = f"{500_000_000 + i:09d}"
    return f"+48 {s[:3]} {s[3:6]} {s[6:]}"


def visitor_of(i: int) -> str:
    return hashlib.blake2b(i.to_bytes(8, "big"), digest_size=16).hexdigest()


def subject_for(i: int):
    """What a verified request about person ``i`` carries: the email (lower case, as verified),
    the phone without spaces, and the visitor id from the consent cookie."""
    from privet.rights.models import RightsRequest

    phone = phone_of(i).replace(" ", "")
    return RightsRequest(email=email_of(i).lower(), phone=phone, visitor_id=visitor_of(i))


def first_enquiry(i: int) -> int:
    """The id of person ``i``'s first enquiry (every tenth person has two)."""
    return i + (i - 1) // 10


def enquiry_hash(e: int) -> int:
    """What decides enquiry ``e``'s status, channel and dates (``% 10``: 0-2 new, 3-4 offer sent,
    5-7 closed, 8 project, 9 project ended)."""
    return (e * 2654435761) & 0xFFFFFFFF


def erasable(i: int) -> bool:
    """Whether an erasure removes person ``i``'s first enquiry (no contract keeps it)."""
    return enquiry_hash(first_enquiry(i)) % 10 < 8


class Clock:
    """Fast text timestamps for COPY: whole seconds counted back from ``now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now.replace(microsecond=0)
        self.base = self.now - timedelta(days=DAYS + 40)
        self.epoch = int(self.base.timestamp())
        self.days = [f"{(self.base + timedelta(days=d)).date():%Y-%m-%d} " for d in range(DAYS + 80)]
        self.tod = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(86400)]

    def text(self, t: int) -> str:
        d, s = divmod(t - self.epoch, 86400)
        return self.days[d] + self.tod[s]

    def at(self, t: int) -> datetime:
        return datetime.fromtimestamp(t, UTC)


class Chain:
    """The audit chain as ``append_events`` writes it (hash of the canonical form, sealed)."""

    def __init__(self, clock: Clock, policy_hash: str) -> None:
        from privet.audit.chain import audit_keys
        from privet.audit.models import GENESIS_HASH, AuditEvent

        self.clock, self.policy_hash = clock, policy_hash
        self.key = audit_keys()[0]
        # After the events already written (the policy's publication): the chain goes on.
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        self.seq, self.prev = last if last else (0, GENESIS_HASH)
        self.details: dict[tuple, str] = {}

    def event(self, t: int, actor: str, action: str, object_type: str, object_id: str,
              subject_ref: str, details: dict) -> str:
        from privet.audit.chain import canonical_details, event_hash, seal

        key = (action, *sorted(details.items()))
        text = self.details.get(key)
        if text is None:
            text = self.details[key] = canonical_details(details)
        self.seq += 1
        digest = event_hash((self.seq, self.clock.at(t), actor, action, object_type, object_id,
                             subject_ref, self.policy_hash, text, self.prev))
        line = "\t".join((str(self.seq), self.clock.text(t), actor, action, object_type, object_id,
                          subject_ref, self.policy_hash, text, self.prev, digest,
                          seal(digest, self.key))) + "\n"
        self.prev = digest
        return line


COLUMNS = {
    "enquiries_enquiry": "id, name, company, email, phone, project_type, message, channel, status, "
                         "received_at, offer_at, contract_signed_at, project_ended_at, closed_at, "
                         "last_contact_at, restricted_at, objected_at, language, policy_version, "
                         "updated_at, created_by_id",
    "enquiries_enquirystatuschange": "id, enquiry_id, from_status, to_status, actor_id, at, "
                                     "date_only, recorded_at, reason",
    "enquiries_enquirynote": "id, enquiry_id, author_id, body, created_at",
    "enquiries_outgoingmail": "id, enquiry_id, kind, state, attempts, error, created_at, "
                              "queued_at, sending_since, claimed_by, handed_at, message_id, "
                              "finished_at",
    "consent_consentreceipt": "id, created_at, site, visitor_id, choices, method, gpc, "
                              "policy_hash, banner_version, language, user_agent_family",
    "rights_rightsrequest": "id, public_id, \"right\", status, channel, email, phone, visitor_id, "
                            "details, language, client, received_at, due_on, extended_at, "
                            "extension_months, extension_reason, awaiting_since, proof_asked, "
                            "paused_days, verification_digest, verification_sent_at, verified_at, "
                            "started_at, closed_at, refusal_ground, outcome, result, failed_at, "
                            "error, attempt, reminded_on, policy_version, updated_at, "
                            "assigned_to_id, created_by_id, changes, handle",
    "audit_auditevent": "seq, created_at, actor, action, object_type, object_id, subject_ref, "
                        "policy_version, details, prev_hash, hash, mac",
}
PROJECT_TYPES = ("website", "web_app", "panel", "integration", "support", "other")
MESSAGE = ("We would like a quote for a new website with a booking form and a small admin "
           "panel; launch planned for spring.")
NOTE = "Called back: they want the offer by Friday, budget agreed in principle."
CHOICES = ('{"analytics": true, "marketing": false}', '{"analytics": false, "marketing": false}',
           '{"analytics": true, "marketing": true}')
METHODS = ("custom", "reject_all", "accept_all")
N = "\\N"  # NULL in COPY's text format


class Streams:
    """One COPY per table, each on its own connection, all open at once: one pass over the
    people feeds them all, and the server works on them while Python makes the next lines."""

    def __init__(self, url: str) -> None:
        import psycopg
        from psycopg.copy import QueuedLibpqWriter

        self.stack = contextlib.ExitStack()
        self.copies, self.buffers, self.rows, self.conns = {}, {}, {}, []
        for table, columns in COLUMNS.items():
            conn = self.stack.enter_context(psycopg.connect(url))
            conn.execute("SET session_replication_role = replica")  # no FK checks, no triggers
            conn.execute("SET synchronous_commit = off")
            cursor = self.stack.enter_context(conn.cursor())
            self.copies[table] = self.stack.enter_context(
                # A thread of its own sends each stream's data: Python makes the next lines
                # meanwhile instead of waiting for the server to read the last ones.
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN",
                            writer=QueuedLibpqWriter(cursor)))
            self.buffers[table], self.rows[table] = [], 0
            self.conns.append(conn)

    def add(self, table: str, line: str) -> None:
        buffer = self.buffers[table]
        buffer.append(line)
        if len(buffer) >= CHUNK:
            self.flush(table)

    def add_many(self, table: str, lines: list[str]) -> None:
        buffer = self.buffers[table]
        buffer.extend(lines)
        if len(buffer) >= CHUNK:
            self.flush(table)

    def flush(self, table: str) -> None:
        buffer = self.buffers[table]
        if buffer:
            self.copies[table].write("".join(buffer).encode())
            self.rows[table] += len(buffer)
            buffer.clear()

    def __enter__(self) -> Streams:
        return self

    def __exit__(self, *exc) -> None:
        """Send what is left and end every COPY; each connection commits (or, after an error,
        every COPY is aborted and nothing is kept)."""
        if exc[0] is None:
            for table in self.copies:
                self.flush(table)
        self.stack.__exit__(*exc)


def ensure_months(clock: Clock) -> int:
    """Monthly partitions for the two years of receipts (the migration made this month's)."""
    from django.db import connection, transaction

    from privet.consent import partitions

    months, month = [], partitions.month_start(clock.base.date())
    while month <= partitions.month_start(clock.now.date()):
        months.append(month)
        month = partitions.add_months(month, 1)
    existing = set(partitions.month_partitions())
    with transaction.atomic(), connection.cursor() as cursor:
        for month in months:
            if month not in existing:
                partitions.RECEIPTS._create_month(cursor, month)
    return len(partitions.month_partitions())


def generate(people: int, url: str) -> dict[str, int]:
    """COPY the people's data into every store; returns rows per table."""
    from django.utils import timezone

    from privet.audit import actors
    from privet.policy.selectors import current_hash
    from privet.pseudonyms import subject_ref

    clock = Clock(timezone.now())
    policy = current_hash()
    chain = Chain(clock, policy)
    ensure_months(clock)
    started = time.perf_counter()
    indexes = set_indexes_aside(url)
    random_ = random.Random(10).random
    # Everything after the visitor id, by r % 12: choices and button, GPC, policy, language, browser.
    tails = [f"{CHOICES[r % 3]}\t{METHODS[r % 3]}\t{'t' if r % 4 == 0 else 'f'}\t{policy}\t1\t"
             f"{'pl' if r & 1 else 'en'}\t{'Firefox' if r & 2 else 'Chrome'}\n" for r in range(12)]
    now = int(clock.now.timestamp())
    day = 86400
    text = clock.text
    ids = {"enquiry": 0, "change": 0, "note": 0, "mail": 0, "receipt": 0, "request": 0}
    receipt_span = DAYS * day
    with Streams(url) as streams:
        for i in range(1, people + 1):
            email, phone = email_of(i), phone_of(i)
            ref = subject_ref(email)
            for _ in range(2 if i % 10 == 0 else 1):
                ids["enquiry"] += 1
                e = ids["enquiry"]
                h = enquiry_hash(e)
                kind = h % 10  # 0-2 new, 3-4 offer, 5-7 closed, 8 project, 9 ended
                received = now - (30 + h % (DAYS - 60)) * day - (h >> 12) % day
                form = h % 10 < 7
                steps = [("", "new", received)]
                offer = received + 2 * day if kind in (3, 4, 8, 9) or (kind in (5, 6, 7) and h & 1) else None
                if offer:
                    steps.append(("new", "offer", offer))
                if kind in (5, 6, 7):
                    steps.append((steps[-1][1], "closed", received + 10 * day))
                if kind in (8, 9):
                    steps.append(("offer", "project", received + 5 * day))
                if kind == 9:
                    steps.append(("project", "ended", received + 20 * day))
                status, last = steps[-1][1], steps[-1][2]
                stamp = {s: text(t) for _, s, t in steps}
                streams.add("enquiries_enquiry", "\t".join((
                    str(e), f"Person {i}", f"Company {i % 997}" if h & 2 else "", email, phone,
                    PROJECT_TYPES[h % 6], MESSAGE, "form" if form else "email", status,
                    text(received), stamp.get("offer", N), stamp.get("project", N),
                    stamp.get("ended", N), stamp.get("closed", N), text(last), N, N,
                    "pl" if h & 4 else "en", policy, text(last), N)) + "\n")
                for from_status, to_status, t in steps:
                    ids["change"] += 1
                    streams.add("enquiries_enquirystatuschange", "\t".join((
                        str(ids["change"]), str(e), from_status, to_status, N, text(t), "f",
                        text(t), "")) + "\n")
                    if from_status:
                        streams.add("audit_auditevent", chain.event(
                            t, "user:1", "enquiry.status_changed", "enquiries.enquiry", str(e), ref,
                            {"from": from_status, "to": to_status, "with_reason": False}))
                    else:
                        streams.add("audit_auditevent", chain.event(
                            t, actors.CONTACT_FORM if form else "user:1",
                            "enquiry.received" if form else "enquiry.logged",
                            "enquiries.enquiry", str(e), ref,
                            {"channel": "form" if form else "email", "project_type": PROJECT_TYPES[h % 6]}))
                if h & 8:
                    ids["note"] += 1
                    streams.add("enquiries_enquirynote", "\t".join((
                        str(ids["note"]), str(e), N, NOTE, text(received + day))) + "\n")
                    streams.add("audit_auditevent", chain.event(
                        received + day, "user:1", "enquiry.note_added", "enquiries.enquiry", str(e),
                        ref, {"note": ids["note"], "contact": False}))
                if form:
                    for kind_ in ("acknowledgement", "operators"):
                        ids["mail"] += 1
                        m = ids["mail"]
                        streams.add("enquiries_outgoingmail", "\t".join((
                            str(m), str(e), kind_, "sent", "1", "", text(received), text(received),
                            N, "", text(received + 2), f"<bench.{m}@privet.example.org>",
                            text(received + 2))) + "\n")
            # Receipts, the bulk: one f-string a row, the choice's columns made once per kind.
            visitor = f"\tsoftcode\t{visitor_of(i)}\t"
            first = ids["receipt"] + 1
            ids["receipt"] += 1 + (i * 7) % 19
            streams.add_many("consent_consentreceipt", [
                f"{r}\t{text(now - int(random_() * receipt_span))}{visitor}{tails[r % 12]}"
                for r in range(first, ids["receipt"] + 1)])
            if i % 10 == 0:
                ids["request"] += 1
                q = ids["request"]
                received = now - (20 + (i * 31) % (DAYS - 40)) * day
                closed = received + 9 * day
                due = (datetime.fromtimestamp(received, UTC) + timedelta(days=30)).date()
                streams.add("rights_rightsrequest", "\t".join((
                    str(q), f"{hashlib.md5(str(i).encode()).hexdigest()}", "access", "completed",
                    "portal", email.lower(), "", "", "", "en", "", text(received), due.isoformat(),
                    N, "0", "", N, "", "0", "", text(received), text(received + 600),
                    text(received + 3600), text(closed), "", "", '{"sources": {}}', N, "", "1", N,
                    policy, text(closed), N, N, "{}", "")) + "\n")
                qref = f"R-{q:06d}"
                for t, action, who in ((received, "rights.received", "anonymous"),
                                       (received + 600, "rights.verified", "anonymous"),
                                       (received + 3600, "rights.started", "user:1")):
                    streams.add("audit_auditevent", chain.event(
                        t, who, action, "rights.rightsrequest", str(q), ref, {"request_ref": qref}))
    rows = streams.rows
    copied = time.perf_counter()
    print(f"  COPY: {copied - started:.1f}s", flush=True)
    finish_load(url, rows, indexes)
    return rows


def set_indexes_aside(url: str) -> list[str]:
    """Drop the loaded tables' indexes that back no constraint (the migrations' lookup indexes),
    returning their definitions: built once after the load, by sorting, they cost a fraction of
    what 10,000,000 random inserts into them would. The primary and unique keys stay."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes i WHERE schemaname = 'public' "
            "AND tablename = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [list(COLUMNS)]).fetchall()
        for name, _ in found:
            conn.execute(f'DROP INDEX "{name}"')
    # A partitioned table's index is defined ON ONLY the parent; without ONLY it is made on
    # every partition too, as the migration made it.
    return [definition.replace(" ON ONLY ", " ON ") for _, definition in found]


def finish_load(url: str, rows: dict[str, int], indexes: list[str]) -> None:
    """Build the indexes set aside, move each id sequence past the ids COPYed, ANALYZE."""
    import psycopg

    id_of = {"audit_auditevent": "seq"}
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '256MB'")
        for definition in indexes:
            conn.execute(definition)
        built = time.perf_counter()
        print(f"  {len(indexes)} lookup indexes built: {built - started:.1f}s", flush=True)
        for table in rows:
            column = id_of.get(table, "id")
            sequence = conn.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column]).fetchone()[0]
            if sequence:
                top = f"SELECT coalesce(max({column}), 0) + 1 FROM {table}"
                conn.execute(f"SELECT setval(%s, ({top}), false)", [sequence])
        for table in rows:
            conn.execute(f"ANALYZE {table}")
        print(f"  ANALYZE: {time.perf_counter() - built:.1f}s", flush=True)


# --- measuring ----------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p99 of 100 samples is the second largest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def one_person(i: int, n: int, timings: dict[str, list[float]] | None):
    """Lookup, plan, export (+ JSON) and erase for person ``i``, as the engine calls the sources."""
    from django.core.serializers.json import DjangoJSONEncoder

    from privet.audit import actors
    from privet.enquiries.models import Enquiry
    from privet.rights import engine

    request = subject_for(i)
    subject = engine.subject_of(request)
    sources = engine.sources_for(request)
    ref = f"R-{900_000 + n:06d}"
    pk = first_enquiry(i)

    started = time.perf_counter()
    Enquiry.objects.get(pk=pk)
    lookup = time.perf_counter()
    plans = [s.plan(subject) for s in sources]
    planned = time.perf_counter()
    exports = {s.name: s.export(subject, actor=actors.RIGHTS, request_ref=ref) for s in sources}
    exported = time.perf_counter()
    body = json.dumps(exports, cls=DjangoJSONEncoder, ensure_ascii=False)
    serialised = time.perf_counter()
    reports = [s.erase(subject, actor=actors.RIGHTS, request_ref=ref) for s in sources]
    erased = time.perf_counter()
    if timings is not None:
        for name, value in (("lookup", lookup - started), ("plan", planned - lookup),
                            ("export", serialised - planned),
                            ("json", serialised - exported), ("erase", erased - serialised)):
            timings[name].append(value * 1000)
    return plans, exports, body, reports


def explain(sql: str, *, analyze: bool, seqscan: bool = True) -> tuple[str, list[dict]]:
    """The text plan (for the output) and the JSON plan's nodes (for the checks)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off")
        options = "ANALYZE, BUFFERS, " if analyze else ""
        cursor.execute(f"EXPLAIN ({options}FORMAT JSON) {sql}")
        tree = cursor.fetchone()[0]
        cursor.execute(f"EXPLAIN ({options.rstrip(', ')}) {sql}" if analyze else f"EXPLAIN {sql}")
        text = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)  # EXPLAIN ANALYZE of a SELECT ... FOR UPDATE locks nothing
    tree = json.loads(tree) if isinstance(tree, str) else tree
    nodes, todo = [], [tree[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", ()))
    return text, nodes


def table_rows() -> dict[str, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relkind IN ('r', 'p')")
        rows = dict(cursor.fetchall())
    # A partitioned parent's estimate is its partitions' sum.
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.relname, sum(c.reltuples) FROM pg_inherits i "
                       "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                       "GROUP BY p.relname")
        rows.update({name: float(total) for name, total in cursor.fetchall()})
    return rows


def person_table(relation: str) -> bool:
    return any(relation == t or relation.startswith(t + "_") for t in PERSON_TABLES)


def check_plans(i: int) -> tuple[list[str], int]:
    """EXPLAIN every statement the sources run for person ``i``; print the plans, return the
    problems found and how many statements were explained."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        one_person(i, 0, None)
    sizes = table_rows()
    seen, problems, explained = set(), [], 0
    print(f"\nquery plans of one person's plan, export and erase ({len(captured)} statements):")
    for query in captured.captured_queries:
        sql = query["sql"]
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb not in ("SELECT", "UPDATE", "DELETE") or sql in seen:
            continue
        seen.add(sql)
        explained += 1
        analyze = verb == "SELECT" and "FOR UPDATE" not in sql and "pg_advisory" not in sql
        text, nodes = explain(sql, analyze=analyze)
        print(f"\n-- {sql[:300]}{' ...' if len(sql) > 300 else ''}")
        print("\n".join("   " + line for line in text.splitlines()))
        for node in nodes:
            relation = node.get("Relation Name", "")
            if node["Node Type"] == "Seq Scan" and sizes.get(relation, 0) > SEQ_SCAN_LIMIT:
                problems.append(f"Seq Scan on {relation} (~{sizes[relation]:,.0f} rows): {sql[:160]}")
        strict_text, strict = explain(sql, analyze=False, seqscan=False)
        if any(n["Node Type"] == "Seq Scan" and person_table(n.get("Relation Name", ""))
               for n in nodes):
            # A table small enough to read whole (a scaled-down run): the index it would use.
            print("   with enable_seqscan = off (the index for a big table):")
            print("\n".join("     " + line for line in strict_text.splitlines()))
        for node in strict:
            relation = node.get("Relation Name", "")
            if node["Node Type"] == "Seq Scan" and person_table(relation):
                problems.append(f"no index serves this query on {relation}: {sql[:160]}")
    return sorted(set(problems)), explained


def measure(people: int, sample: int) -> bool:
    from django.db import connection

    from privet.registry import registry

    rng = random.Random(int(os.environ.get("PRIVET_BENCH_SEED", "2026")))
    chosen = rng.sample(range(1, people + 1), min(people - 1, sample + 3))
    # The plans are shown for someone whose erasure deletes an enquiry (its DELETEs explained).
    plan_person = next(i for i in range(people // 2, people + 1) if erasable(i) and i not in chosen)
    warm, chosen = chosen[:3], chosen[3:sample + 3]
    for n, i in enumerate(warm, start=1):  # caches of the declaration, connections, first plans
        one_person(i, n, None)
    problems, explained = check_plans(plan_person)
    timings: dict[str, list[float]] = {k: [] for k in ("lookup", "plan", "export", "json", "erase")}
    found = {"records": 0, "exported_bytes": 0, "erased": 0}
    for n, i in enumerate(chosen, start=10):
        plans, _exports, body, reports = one_person(i, n, timings)
        found["records"] += sum(p.records for p in plans)
        found["exported_bytes"] += len(body.encode())
        found["erased"] += sum(r.erased for r in reports)

    unit = statistics.median(timings["lookup"])
    print(f"\n{len(chosen)} people, sources: "
          f"{', '.join(registry.sources)}; "
          f"{found['records'] / len(chosen):.1f} records a person on average, "
          f"{found['exported_bytes'] / len(chosen) / 1024:.1f} KiB of JSON a person, "
          f"{found['erased']} records erased in all")
    print(f"single indexed lookup (one enquiry by primary key): p50 {unit:.3f} ms, "
          f"p99 {percentile(timings['lookup'], 99):.3f} ms  (the ratios' unit)")
    ok = True
    for name, label in (("plan", "plan (every source)"), ("export", "export (+ JSON)"),
                        ("json", "  of which JSON"), ("erase", "erase (every source)")):
        p50, p99 = statistics.median(timings[name]), percentile(timings[name], 99)
        goal = GOALS_MS.get(name)
        verdict = ""
        if goal:
            met = p50 < goal[0] and p99 < goal[1]
            ok &= met
            verdict = f"  goal p50 < {goal[0]} ms, p99 < {goal[1]} ms: {'met' if met else 'MISSED'}"
        print(f"{label:22s} p50 {p50:8.2f} ms = {p50 / unit:7.1f} x lookup   "
              f"p99 {p99:8.2f} ms = {p99 / unit:7.1f} x lookup{verdict}")
    print(f"\n{explained} statements explained; tables over {SEQ_SCAN_LIMIT:,} rows read by Seq Scan "
          f"or without an index for the query: {len(problems) or 'none'}")
    for problem in problems:
        print(f"  FAIL {problem}")
    connection.close()
    if os.environ.get("PRIVET_BENCH_GOALS") == "off":
        print("time goals reported, not enforced (PRIVET_BENCH_GOALS=off); the plan check is")
        return not problems
    return ok and not problems


def run() -> int:
    base = pg_base()
    why = reachable(base)
    if why:
        print(f"SKIPPED: the rights bench runs on PostgreSQL only, and none answers at {base} "
              f"({why}). Set PRIVET_BENCH_PG to a server's URL (without the database name).")
        return 0
    people = int(os.environ.get("PRIVET_BENCH_PEOPLE", "1000000"))
    sample = int(os.environ.get("PRIVET_BENCH_SAMPLE", "100"))
    url = f"{base}/{DB_NAME}"
    admin(base, f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    admin(base, f'CREATE DATABASE "{DB_NAME}"')
    try:
        started = time.perf_counter()
        setup_django(url)
        print(f"{people:,} people on PostgreSQL (database {DB_NAME}, migrated and a policy "
              f"published in {time.perf_counter() - started:.1f}s)", flush=True)
        started = time.perf_counter()
        rows = generate(people, url)
        took = time.perf_counter() - started
        total = sum(rows.values())
        print(f"generated {total:,} rows in {took:.1f}s ({total / took:,.0f} rows/s, COPY, "
              "ANALYZE included):")
        for table, count in rows.items():
            print(f"  {table:32s} {count:>12,}")
        ok = measure(people, sample)
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        admin(base, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(run())
