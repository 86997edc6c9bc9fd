"""Erasures carried out by real workers that are SIGKILLed at random points; what must hold at
every kill and at the end. Shared by the suite's fault test and ``bench/bench_rights_faults.py``.

A trial is one person's erasure request (an open enquiry with a note, which goes; a project with
its history, which a duty keeps; a cookie choice, kept as evidence). Every request is started at
once; each worker is told, per request, before which SQL statement of the FIRST run of that
request's task it kills itself (:mod:`.killer`), a number drawn between 1 and the statements one
erasure takes (counted on a calibration request run in this process). After each kill, before
the next worker starts, :func:`check_consistent` reads the database as anyone else would; at the
end :func:`check_final` checks every request was completed exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from privet.audit.models import AuditEvent
from privet.audit.selectors import verify_chain
from privet.consent.models import ConsentReceipt
from privet.core.tests.logcheck import scan_file_at_end
from privet.enquiries.models import Enquiry, EnquiryNote, EnquiryStatusChange
from privet.rights import engine
from privet.rights.models import (
    ErasureRecord,
    MailKind,
    RequestStep,
    RightsMail,
    RightsRequest,
    Status,
)

from .engine_data import person, store_data, verified

ACTOR = "test:operator"


@dataclass
class Trial:
    request_id: int
    erased: int  # the enquiry that must go
    kept: int  # the project a duty keeps
    visitor_id: str
    notes: int  # the erased enquiry's notes
    history: int  # the kept project's status changes
    kill_at: int = 0


@dataclass
class Figures:
    trials: int = 0
    kills: int = 0
    completed: int = 0
    duplicates: int = 0
    workers: int = 0
    statements: int = 0  # one erasure's SQL statements (the range kill points are drawn from)
    seconds: float = 0.0  # killing, restarting and checking, after the data was prepared
    prepare_seconds: float = 0.0
    kill_points: list[int] = field(default_factory=list)
    # Answer mail rows a kill left pending with no task to send them: killed after the commit
    # that completed the request and before its mail's task was queued (on_commit). The rights
    # outbox's sweep (the intake work) must pick them up; counted here, not failed.
    mail_unqueued: int = 0

    def line(self) -> str:
        return (f"trials {self.trials}, kills {self.kills}, completed {self.completed} "
                f"(each once), duplicates {self.duplicates}, workers started {self.workers}, "
                f"kill points 1..{self.statements} statements, {self.seconds:.1f} s "
                f"(+ {self.prepare_seconds:.1f} s preparing the data); answer mail rows left unqueued "
                f"{self.mail_unqueued}")


def prepare(policy, count: int, *, first: int = 1) -> list[Trial]:
    """``count`` people with their data and a verified erasure request each (not started)."""
    trials = []
    for n in range(first, first + count):
        subject = person(n)
        erased, kept = store_data(subject, policy)
        request = verified("erasure", subject)
        trials.append(Trial(request.pk, erased.pk, kept.pk, subject.visitor_id,
                            erased.notes.count(), kept.status_changes.count()))
    return trials


def statements_of_one(trial: Trial) -> int:
    """Carry one request out here, counting its SQL statements (the calibration)."""
    count = [0]

    def counting(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    request = RightsRequest.objects.get(pk=trial.request_id)
    engine.start(request=request, actor=ACTOR)
    with connection.execute_wrapper(counting):
        assert engine.process(request.pk, request.attempt) == "completed"
    return count[0]


class Zygote:
    """The process that forks workers (:mod:`.killer`)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        scan_file_at_end(log, "privet worker (erasure faults)")
        self.out = log.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "privet.rights.tests.killer"],
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.out, text=True)

    def start(self, worker_id: str, plan: dict[int, int]) -> int:
        self.process.stdin.write(json.dumps({"worker_id": worker_id, "plan": plan}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the worker zygote died; see the log"
        return json.loads(line)["pid"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.out.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _erased_events(pks: list[int]) -> Counter:
    return Counter(AuditEvent.objects.filter(action="enquiry.erased", object_type="enquiries.enquiry",
                                             object_id__in=[str(p) for p in pks])
                   .values_list("object_id", flat=True))


def check_consistent(trials: list[Trial]) -> None:
    """What anyone reading the database sees at a kill point: each erasure whole or not at all
    (an enquiry with all its notes, or gone with its ledger entry, its audit event and its step
    done), a request completed only with its mail row, the audit chain intact."""
    requests = RightsRequest.objects.in_bulk([t.request_id for t in trials])
    present = set(Enquiry.objects.filter(pk__in=[t.erased for t in trials] + [t.kept for t in trials])
                  .values_list("pk", flat=True))
    notes = Counter(EnquiryNote.objects.filter(enquiry_id__in=present).values_list("enquiry_id",
                                                                                     flat=True))
    history = Counter(EnquiryStatusChange.objects.filter(enquiry_id__in=present)
                      .values_list("enquiry_id", flat=True))
    ledger = {r.request_ref: r.record_keys for r in ErasureRecord.objects.all()}
    erased_events = _erased_events([t.erased for t in trials])
    done = set(RequestStep.objects.filter(source="enquiries", action="erase", state="done")
               .values_list("request_id", flat=True))
    mail = Counter(RightsMail.objects.filter(kind=MailKind.COMPLETED).values_list("request_id",
                                                                                   flat=True))
    for t in trials:
        request = requests[t.request_id]
        ref = request.reference
        assert t.kept in present and history[t.kept] == t.history, f"{ref}: the kept project changed"
        if t.erased in present:
            assert notes[t.erased] == t.notes, f"{ref}: an enquiry without its note (half erased)"
            assert ref not in ledger and not erased_events[str(t.erased)] and t.request_id not in done
        else:
            assert ledger.get(ref) == [str(t.erased)], f"{ref}: erased without its ledger entry"
            assert erased_events[str(t.erased)] == 1 and t.request_id in done, ref
        assert request.status in (Status.IN_PROGRESS, Status.COMPLETED), (ref, request.status)
        assert mail[t.request_id] == (request.status == Status.COMPLETED), f"{ref}: mail row"
        if request.status == Status.COMPLETED:
            assert t.erased not in present, f"{ref}: completed with the enquiry still there"
    assert verify_chain().ok


def check_final(trials: list[Trial], expected: dict) -> int:
    """After the last worker: every request completed once, with the right result; returns the
    number of duplicates found (anything done twice), which must be 0."""
    check_consistent(trials)
    duplicates = 0
    completed = Counter(AuditEvent.objects.filter(action="rights.completed")
                        .values_list("object_id", flat=True))
    mail = Counter(RightsMail.objects.filter(kind=MailKind.COMPLETED).values_list("request_id",
                                                                                   flat=True))
    ledger = Counter(ErasureRecord.objects.values_list("request_ref", flat=True))
    erased_events = _erased_events([t.erased for t in trials])
    steps = Counter(RequestStep.objects.values_list("request_id", "attempt", "source", "action"))
    for t in trials:
        request = RightsRequest.objects.get(pk=t.request_id)
        assert request.status == Status.COMPLETED and request.attempt == 1, request.reference
        assert request.result == expected, (request.reference, request.result)
        runs = [completed[str(t.request_id)], mail[t.request_id], ledger[request.reference],
                erased_events[str(t.erased)]]
        assert min(runs) == 1, (request.reference, runs)
        duplicates += sum(n - 1 for n in runs)
        own = [n for (r, *_), n in steps.items() if r == t.request_id]
        assert len(own) == len(expected["sources"]) + 1 and set(own) == {1}  # + Art. 19's step
        assert not Enquiry.objects.filter(pk=t.erased).exists()
        assert ConsentReceipt.objects.filter(visitor_id=t.visitor_id).count() == 1
    assert not RequestStep.objects.exclude(state="done").exists()
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
    return duplicates


def worker_env(env: dict[str, str]) -> dict[str, str]:
    """A ``privet_env`` for the workers: mail goes nowhere (the outbox's own test kills workers
    mid-SMTP), leases of a second, warnings only."""
    return {**env, "PRIVET_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "PRIVET_WORKER_LEASE_SECONDS": "1", "PRIVET_LOG_LEVEL": "WARNING",
            "PRIVET_TASK_BACKEND": "db"}


def run(policy, count: int, env: dict[str, str], log: Path, rng: random.Random, *,
        timeout: float = 120, first: int = 1) -> Figures:
    """Prepare ``count`` trials and a calibration request, start every request, run workers that
    are killed as planned, checking at each kill, until all is done; then the final checks."""
    began = time.monotonic()
    calibration, *trials = prepare(policy, count + 1, first=first)
    figures = Figures(trials=count, statements=statements_of_one(calibration))
    expected = RightsRequest.objects.get(pk=calibration.request_id).result
    figures.prepare_seconds = time.monotonic() - began
    began = time.monotonic()
    for t in trials:
        t.kill_at = rng.randint(1, figures.statements)
        engine.start(request=RightsRequest.objects.get(pk=t.request_id), actor=ACTOR)
    plan = {t.request_id: t.kill_at for t in trials}
    figures.kill_points = sorted(plan.values())

    interrupted_before = _interrupted()
    zygote = Zygote(worker_env(env), log)
    worker = 0
    pid = zygote.start(f"worker-{worker}", plan)
    figures.workers = 1
    deadline = time.monotonic() + timeout
    try:
        while True:
            if not alive(pid):
                said = log.read_text(errors="replace")
                assert f"pid {pid} SIGKILLs itself" in said, (
                    f"worker {pid} ended without being killed by the plan:\n{said[-3000:]}")
                figures.kills += 1
                check_consistent(trials)
                if rng.random() < 0.1:  # now and then a new worker id: the lease must lapse first
                    worker += 1
                pid = zygote.start(f"worker-{worker}", plan)
                figures.workers += 1
            elif not DBTaskResult.objects.filter(
                    status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exists():
                break
            assert time.monotonic() < deadline, (
                f"not done within {timeout} s after {figures.kills} kills\n"
                f"{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.02)
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGTERM)
            while alive(pid) and time.monotonic() < deadline + 30:
                time.sleep(0.02)
        zygote.close()
    interrupted = _interrupted() - interrupted_before
    assert interrupted == figures.kills, (interrupted, figures.kills)  # every death was a kill
    figures.duplicates = check_final(trials, expected)
    figures.completed = len(trials)
    figures.mail_unqueued = RightsMail.objects.filter(
        kind=MailKind.COMPLETED, state="pending",
        request_id__in=[t.request_id for t in trials]).count()
    figures.seconds = time.monotonic() - began
    return figures


def _interrupted() -> int:
    """The engine's tasks that a worker left running and another ran again."""
    from privet.rights.engine import process_request

    return sum(1 for t in DBTaskResult.objects.filter(task_path=process_request.module_path)
               if len(t.worker_ids) > 1)


def audit_verify(env: dict[str, str]) -> subprocess.CompletedProcess:
    """``privet audit verify`` against the same database, as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "privet", "audit", "verify"], env=env,
                          capture_output=True, text=True, timeout=120)
