"""Sync throughput: the moderation workflow's full path against raw inserts of the same rows.

On PostgreSQL only, in a database of its own (``privet_bench_sync``, created and dropped). The
TikTok contract fake runs in a process of its own (its GIL does not compete with the sync) and
serves one video with PRIVET_BENCH_SYNC_COMMENTS comments (100,000 by default; ``--quick``:
20,000), created in that process. A client with the moderation workflow authorises the fake's
account the real way (the link, the fake's page, the code exchanged), then:

1. **Cold start.** Empty tables, no sync state: ``run_workflow(grant, "moderation", full=True)``
   reads every comment (the HTTP call from the fake through the outbound client and its checks,
   the data contract, the upsert and the checkpoint, one transaction a page of 30). Printed:
   the time and comments/s, and as context the ratio to raw inserts of the same rows.
2. **Rounds.** PRIVET_BENCH_SYNC_ROUNDS (3) alternating rounds of the same full sync and of the
   raw inserts (``Comment`` objects built from the very rows the sync stored, ``bulk_create``
   30 a transaction, as the sync's page), each into the emptied table. Printed: the median
   ratio sync/raw of comments per second with its range. Goal: >= 0.5, the platform's own
   calls and bookkeeping cost at most as much as storing the rows.

After every sync the stored comments are checked against the fake's (the same ids, each once:
no duplicate, none missing); a difference fails the bench whatever the goals.

PRIVET_BENCH_PG (default postgres://postgres@127.0.0.1:5432) names the server; without a
reachable PostgreSQL the bench says so and is skipped. PRIVET_BENCH_GOALS=off reports the goal
without failing on it (the suite's tiny run on a busy machine). PRIVET_BENCH_SYNC_PROFILE=<file>
writes cProfile's statistics of the syncs there (``python -m pstats <file>``).
"""

from __future__ import annotations

import contextlib
import cProfile
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgserver import admin, pg_base, reachable  # noqa: E402 (the bench folder is on the path above)

POLICY = ROOT / "src" / "privet" / "policy" / "default_policy.yaml"
DB_NAME = os.environ.get("PRIVET_BENCH_SYNC_DB", "privet_bench_sync")
GOAL_RATIO = 0.5
ACTOR = "cli:bench"
ROW_FIELDS = ("external_id", "video_id", "parent_id", "text", "username", "display_name", "created",
              "status", "likes", "replies", "by_account")


def main(args) -> bool:
    """``make bench``'s entry: a child process, whose Django is set up on this bench's database."""
    env = dict(os.environ)
    if getattr(args, "quick", False):
        env.setdefault("PRIVET_BENCH_SYNC_COMMENTS", "20000")
    return subprocess.run([sys.executable, __file__], env=env).returncode == 0


def digest(ids) -> str:
    """What the fake's comments and the stored ones are compared by: their ids, sorted."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


# --- the fake, in a process of its own ---------------------------------------------------------------

def serve_fake(comments: int) -> None:
    """The child: the fake with one video of ``comments`` comments (made here), its address and
    the comments' digest on one line of stdout; it serves until its stdin closes."""
    from privet.integrations.tiktok.fake import TikTokFake

    fake = TikTokFake(content=False).start()
    fake.clear()
    fake.seed(videos=1, comments=0, replies=0, conversations=0, campaigns=0)
    video = fake.videos[0]["item_id"]
    fake.add_comments(video, comments)
    ids = [c["comment_id"] for c in fake.comments_of(video)]
    print(json.dumps({"url": fake.url, "api_base": fake.api_base,
                      "account_auth_url": fake.account_auth_url,
                      "advertiser_auth_url": fake.advertiser_auth_url, "app_id": fake.app_id,
                      "secret": fake.secret, "video": video, "comments": len(ids),
                      "digest": digest(ids)}), flush=True)
    sys.stdin.read()
    fake.stop()


@contextlib.contextmanager
def fake_process(comments: int):
    process = subprocess.Popen([sys.executable, __file__, "--fake", str(comments)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the fake's process ended before it served")
        yield json.loads(line)
    finally:
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- Django, the client and its grant ----------------------------------------------------------------

def setup_django(url: str, fake: dict) -> None:
    os.environ["PRIVET_SECRET_KEY"] = "bench-only-" + "s" * 40
    os.environ["PRIVET_DATA_DIR"] = tempfile.mkdtemp(prefix="privet-bench-sync-")
    os.environ["PRIVET_DATABASE_URL"] = url
    os.environ.setdefault("PRIVET_CACHE_BACKEND", "locmem")
    os.environ["PRIVET_LOG_LEVEL"] = "WARNING"
    os.environ["PRIVET_TELEMETRY"] = "0"
    os.environ["PRIVET_INTEGRATIONS_LOOPBACK"] = "1"
    os.environ["PRIVET_TIKTOK_API_BASE"] = fake["api_base"]
    os.environ["PRIVET_TIKTOK_ACCOUNT_AUTH_URL"] = fake["account_auth_url"]
    os.environ["PRIVET_TIKTOK_ADVERTISER_AUTH_URL"] = fake["advertiser_auth_url"]
    os.environ["DJANGO_SETTINGS_MODULE"] = "privet.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from privet.policy.services import publish_version

    publish_version(source=POLICY.read_text(), actor=ACTOR, origin=POLICY.name)


def connect(fake: dict):
    """A client with the moderation workflow, and the grant its owner gives on the fake's page
    (the real way: the link, the platform's page, the code exchanged for the fake's tokens)."""
    import httpx

    from privet.integrations import services
    from privet.integrations.models import Grant
    from privet.integrations.tiktok.connector import TIKTOK

    services.configure_app(connector_id=TIKTOK.id, app_id=fake["app_id"], secret=fake["secret"],
                           actor=ACTOR)
    client = services.create_client(name="Bench sync", slug="bench-sync", actor=ACTOR)
    services.set_workflows(client=client, workflows=["moderation"], actor=ACTOR)
    link = services.create_link(client=client, connector_id=TIKTOK.id, flow_id="account",
                                actor=ACTOR)
    started = services.begin_authorisation(link=link)
    assert httpx.get(started.url).status_code == 200
    answer = httpx.post(started.url, data={"decision": "authorise"})
    assert answer.status_code == 302, answer.text
    back = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
    grant = services.complete_authorisation(connector_id=TIKTOK.id, state=back["state"],
                                            code=back["code"], browser_nonce=started.nonce)
    return Grant.objects.for_client(client).get(pk=grant.pk)


# --- the two arms ---------------------------------------------------------------------------------------

def sql(statement: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement)


def empty_comments() -> None:
    """The comment table emptied (outside any timing), then a checkpoint, so that neither arm
    pays for what the last one left to write."""
    from privet.integrations.models import Comment

    sql(f'TRUNCATE "{Comment._meta.db_table}"')
    sql("CHECKPOINT")


def sync(grant, fake: dict) -> tuple[float, int]:
    """One full moderation sync, timed; checks it stored exactly the fake's comments. Returns
    the seconds and the pages of comments read."""
    from privet.integrations.models import Comment, SyncRun, SyncState
    from privet.integrations.sync import run_workflow

    profile = os.environ.get("PRIVET_BENCH_SYNC_PROFILE")  # a file for cProfile's stats
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    run = run_workflow(grant, "moderation", actor=ACTOR, full=True)
    took = time.perf_counter() - started
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    assert run.status == SyncRun.Status.DONE, run.error
    stored = Comment.objects.for_client(grant.client).filter(grant=grant)
    ids = list(stored.values_list("external_id", flat=True))
    if len(ids) != fake["comments"] or len(set(ids)) != len(ids) or digest(ids) != fake["digest"]:
        raise AssertionError(f"the sync stored {len(ids):,} comments ({len(set(ids)):,} ids), "
                             f"not the fake's {fake['comments']:,}")
    assert run.counts.get("comment") == fake["comments"], run.counts
    pages = SyncState.objects.for_client(grant.client).get(grant=grant, stream="comments",
                                                           parent=fake["video"]).pages
    return took, pages


def rows_of(grant) -> list[dict]:
    """The rows the sync stored, as field values (newest first, the order they came in)."""
    from privet.integrations.models import Comment

    return list(Comment.objects.for_client(grant.client).filter(grant=grant)
                .order_by("-created", "-external_id").values(*ROW_FIELDS))


def raw_insert(grant, rows: list[dict], batch: int) -> float:
    """The same rows as ``Comment`` objects, ``bulk_create`` ``batch`` at a time, one
    transaction each: storing them and nothing else. Returns the seconds."""
    from django.db import transaction
    from django.utils import timezone

    from privet.integrations.models import Comment

    comments = Comment.objects.for_client(grant.client)
    started = time.perf_counter()
    now = timezone.now()
    for start in range(0, len(rows), batch):
        with transaction.atomic():
            comments.bulk_create([Comment(client=grant.client, grant=grant, synced_at=now, **row)
                                  for row in rows[start:start + batch]])
    took = time.perf_counter() - started
    assert comments.filter(grant=grant).count() == len(rows)
    return took


def reset_sync(grant) -> None:
    """No sync state, no run, no call record, no video, no comment: a cold start."""
    from privet.integrations.models import Comment, OutboundCall, SyncRun, SyncState, Video

    for model in (SyncState, SyncRun, OutboundCall, Video, Comment):
        sql(f'TRUNCATE "{model._meta.db_table}"')
    sql("CHECKPOINT")


# --- the run -----------------------------------------------------------------------------------------

def measure(url: str, comments: int, rounds: int, goals: bool) -> bool:
    with fake_process(comments) as fake:
        setup_django(url, fake)
        from privet.integrations.tiktok.sync import COMMENTS

        page = COMMENTS.page_size
        grant = connect(fake)
        print(f"the fake (a process of its own) serves one video with {fake['comments']:,} comments; "
              f"{page} a page", flush=True)

        print(f"1. cold start: {comments:,} comments, empty tables and no sync state", flush=True)
        reset_sync(grant)
        took, pages = sync(grant, fake)
        cold_rate = comments / took
        print(f"  sync: {comments:,} comments in {took:.1f}s = {cold_rate:,.0f} comments/s "
              f"({pages:,} pages, one transaction each)", flush=True)
        rows = rows_of(grant)
        empty_comments()
        raw = raw_insert(grant, rows, page)
        cold_raw_rate = comments / raw
        print(f"  raw inserts of the same rows ({page} a transaction): {raw:.1f}s = "
              f"{cold_raw_rate:,.0f} rows/s", flush=True)
        print(f"cold sync of {comments:,} comments {took:>8.1f} s = {cold_rate:>8,.0f} comments/s "
              f"= {cold_rate / cold_raw_rate:.2f} x raw inserts", flush=True)

        print(f"2. {rounds} alternating rounds: full sync, then raw inserts of the same "
              f"{comments:,} rows, each into the emptied table", flush=True)
        ratios, sync_rates, raw_rates = [], [], []
        for n in range(1, rounds + 1):
            empty_comments()
            took, _ = sync(grant, fake)
            sync_rates.append(comments / took)
            print(f"  round {n} sync {sync_rates[-1]:>10,.0f} comments/s ({took:.2f}s)", flush=True)
            empty_comments()
            raw = raw_insert(grant, rows, page)
            raw_rates.append(comments / raw)
            print(f"  round {n} raw  {raw_rates[-1]:>10,.0f} rows/s ({raw:.2f}s)", flush=True)
            ratios.append(sync_rates[-1] / raw_rates[-1])
    ratio = statistics.median(ratios)
    ok = ratio >= GOAL_RATIO
    print(f"sync {statistics.median(sync_rates):,.0f} comments/s, raw inserts "
          f"{statistics.median(raw_rates):,.0f} rows/s (medians)")
    print(f"sync/raw throughput ratio: median {ratio:.3f} (rounds {min(ratios):.3f}.."
          f"{max(ratios):.3f}; goal >= {GOAL_RATIO}): {'goal met' if ok else 'GOAL MISSED'}")
    print(f"synced rows: {comments:,} = the fake's {fake['comments']:,} comments after each of "
          f"{rounds + 1} syncs (no duplicate, none missing)", flush=True)
    return ok or not goals


def run() -> int:
    base = pg_base()
    why = reachable(base)
    if why:
        print(f"SKIPPED: the sync bench runs on PostgreSQL only, and none answers at {base} "
              f"({why}). Set PRIVET_BENCH_PG to a server's URL (without the database name).")
        return 0
    comments = int(os.environ.get("PRIVET_BENCH_SYNC_COMMENTS", "100000"))
    rounds = int(os.environ.get("PRIVET_BENCH_SYNC_ROUNDS", "3"))
    goals = os.environ.get("PRIVET_BENCH_GOALS", "on") != "off"
    url = f"{base}/{DB_NAME}"
    admin(base, f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    admin(base, f'CREATE DATABASE "{DB_NAME}"')
    try:
        ok = measure(url, comments, rounds, goals)
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        admin(base, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    if sys.argv[1:2] == ["--fake"]:
        serve_fake(int(sys.argv[2]))
        sys.exit(0)
    sys.exit(run())
