"""Operations: the scheduler's job history and the leader lease (read in
digest.store.reader)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from digest.store.schema import JobRunRow, LeaseRow
from digest.store.session import StoreCore


class OpsQueries:
    """Mixed into Store."""

    def start_job_run(
        self: StoreCore,
        job: str,
        runner: str,
        now: datetime,
        scheduled_for: datetime | None = None,
    ) -> int:
        with self.session() as s:
            row = _new_run(job, runner, now, scheduled_for, "running")
            s.add(row)
            s.flush()
            return row.id

    def finish_job_run(
        self: StoreCore,
        run_id: int,
        now: datetime,
        outcome: str,
        counts: dict[str, int],
        error: str | None = None,
    ) -> None:
        with self.session() as s:
            s.execute(
                update(JobRunRow)
                .where(JobRunRow.id == run_id)
                .values(finished_at=now, outcome=outcome, counts=counts, error=error)
            )

    def record_missed_run(
        self: StoreCore, job: str, runner: str, scheduled_for: datetime, now: datetime
    ) -> None:
        with self.session() as s:
            s.add(
                _new_run(job, runner, now, scheduled_for, "missed", finished_at=now, error=_MISSED)
            )

    def acquire_lease(
        self: StoreCore,
        name: str,
        owner: str,
        now: datetime,
        until: datetime,
        dead_holders: Collection[str] = (),
    ) -> bool:
        """Take or renew the lease; True when `owner` holds it until `until`. It is taken
        from a holder that let it expire, or at once from one of `dead_holders` (a process
        known to be gone: digest.liveness)."""
        takeable = [LeaseRow.owner == owner, LeaseRow.expires_at < now]
        if dead_holders:
            takeable.append(LeaseRow.owner.in_(dead_holders))
        with self.session() as s:
            taken = s.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, or_(*takeable))
                .values(owner=owner, expires_at=until)
            )
            if taken.rowcount:  # type: ignore[attr-defined]
                return True
            if s.get(LeaseRow, name) is not None:
                return False
        try:
            with self.session() as s:
                s.add(LeaseRow(name=name, owner=owner, expires_at=until))
            return True
        except IntegrityError:  # another process created it first
            return False

    def release_lease(self: StoreCore, name: str, owner: str) -> None:
        with self.session() as s:
            row = s.get(LeaseRow, name)
            if row is not None and row.owner == owner:
                s.delete(row)


_MISSED = "missed by more than the misfire grace time: not run late"


def _new_run(
    job: str,
    runner: str,
    now: datetime,
    scheduled_for: datetime | None,
    outcome: str,
    finished_at: datetime | None = None,
    error: str | None = None,
) -> JobRunRow:
    """A job_run row begun at `now`, with nothing counted yet."""
    return JobRunRow(
        job=job,
        runner=runner,
        started_at=now,
        finished_at=finished_at,
        scheduled_for=scheduled_for,
        outcome=outcome,
        counts={},
        error=error,
    )
