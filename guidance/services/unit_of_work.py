"""One use case, one transaction, visible at its top:

    def cancel_session(actor, session, reason):
        with unit_of_work() as uow:
            ...                                   # helpers write; none of them commits
            uow.after_commit(mail.deliver_later, messages)

The outermost `unit_of_work()` commits when its block ends and rolls back when the block raises;
`after_commit` actions (handing e-mails to the queue, dispatching notices) run only after that
commit, never after a rollback. A use case called inside another one's unit of work joins it
(`uow.joined` is true): it neither commits nor rolls back itself, and its after-commit actions wait for
the outer commit. A joined block that raised spoils the whole unit of work: the outer one then
refuses to commit even if the caller caught the error, so half a use case is never written.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from guidance.extensions import db

_KEY = "veiled.unit_of_work"


class SpoiledUnitOfWork(RuntimeError):
    """A use case inside this unit of work failed; its half-done writes must not be committed."""


class UnitOfWork:
    def __init__(self) -> None:
        self.joined = False
        self.spoiled = False
        self._after: list[tuple[Callable, tuple, dict]] = []

    def after_commit(self, action: Callable, *args, **kwargs) -> None:
        """Run `action(*args, **kwargs)` after the outermost commit (not at all after a rollback);
        the same action with the same arguments runs once."""
        if (action, args, kwargs) not in self._after:
            self._after.append((action, args, kwargs))


class _Joined:
    """What a nested `unit_of_work()` yields: the outer unit of work, marked as joined."""

    joined = True

    def __init__(self, outer: UnitOfWork) -> None:
        self._outer = outer

    def after_commit(self, action: Callable, *args, **kwargs) -> None:
        self._outer.after_commit(action, *args, **kwargs)


def current() -> UnitOfWork | None:
    """The unit of work the current database session is in, if any."""
    return db.session.info.get(_KEY)


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork | _Joined]:
    outer = current()
    if outer is not None:
        try:
            yield _Joined(outer)
        except BaseException:
            outer.spoiled = True
            raise
        return
    uow = UnitOfWork()
    db.session.info[_KEY] = uow
    try:
        yield uow
        if uow.spoiled:
            raise SpoiledUnitOfWork("a use case inside this unit of work failed")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.info.pop(_KEY, None)
    for action, args, kwargs in uow._after:
        action(*args, **kwargs)
