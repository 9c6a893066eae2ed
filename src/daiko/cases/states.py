"""The case status machine (案件ステータス), pure: no I/O, no principals.

```
draft → submitted → accepted → in_progress ⇄ waiting_on_client → in_review → delivered → closed
          │            │            ▲                                  │           │         │
          └→ rejected  └→ …         └──────── changes requested ───────┘           └─ reopen ┘
```

Each transition names the policy actions (`daiko.auth.policy`) of which the actor needs
one in the case's tenant: `cases:submit` is the client side, `cases:work` the operator
side, `cases:approve` the lead who signs off. in_review → delivered is the four-eyes
step: the approver is never the operator who sent the case to review (the preparer).

The SLA clocks (`daiko.sla.clock`) are computed from the history these transitions
write; `waiting_on_client` is their pause status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, Literal

from daiko.auth.policy import Action

Status = Literal[
    "draft",
    "submitted",
    "accepted",
    "in_progress",
    "waiting_on_client",
    "in_review",
    "delivered",
    "closed",
    "rejected",
    "cancelled",
]

STATUSES: Final[tuple[Status, ...]] = (
    "draft",
    "submitted",
    "accepted",
    "in_progress",
    "waiting_on_client",
    "in_review",
    "delivered",
    "closed",
    "rejected",
    "cancelled",
)
TERMINAL: Final[frozenset[Status]] = frozenset({"rejected", "cancelled"})
# Open = counted as an operator's load for automatic assignment.
OPEN_STATUSES: Final[frozenset[Status]] = frozenset(
    {"submitted", "accepted", "in_progress", "waiting_on_client", "in_review"}
)

CLIENT: Final = frozenset({Action.CASES_SUBMIT})
OPERATOR: Final = frozenset({Action.CASES_WORK})
EITHER: Final = frozenset({Action.CASES_SUBMIT, Action.CASES_WORK})
APPROVER: Final = frozenset({Action.CASES_APPROVE})


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    name: str  # the verb shown on buttons and in audit details
    actions: frozenset[Action]  # the actor needs one of them in the case's tenant
    reason_required: bool = False
    four_eyes: bool = False  # the actor must not be the case's preparer


def _t(
    source: Status,
    target: Status,
    name: str,
    actions: frozenset[Action],
    *,
    reason: bool = False,
    four_eyes: bool = False,
) -> Transition:
    return Transition(source, target, name, actions, reason, four_eyes)


TRANSITIONS: Final[tuple[Transition, ...]] = (
    _t("draft", "submitted", "submit", EITHER),
    _t("draft", "cancelled", "cancel", EITHER, reason=True),
    _t("submitted", "accepted", "accept", OPERATOR),
    _t("submitted", "rejected", "reject", OPERATOR, reason=True),
    _t("submitted", "cancelled", "cancel", EITHER, reason=True),
    _t("accepted", "in_progress", "start", OPERATOR),
    _t("accepted", "waiting_on_client", "ask_client", OPERATOR, reason=True),
    _t("accepted", "cancelled", "cancel", EITHER, reason=True),
    _t("in_progress", "waiting_on_client", "ask_client", OPERATOR, reason=True),
    _t("in_progress", "in_review", "send_to_review", OPERATOR),
    _t("in_progress", "cancelled", "cancel", EITHER, reason=True),
    # The client answers (or the operator resumes after hearing back by phone).
    _t("waiting_on_client", "in_progress", "resume", EITHER),
    _t("waiting_on_client", "cancelled", "cancel", EITHER, reason=True),
    _t("in_review", "delivered", "approve_and_deliver", APPROVER, four_eyes=True),
    _t("in_review", "in_progress", "request_changes", OPERATOR, reason=True),
    _t("delivered", "closed", "close", EITHER),
    _t("delivered", "in_progress", "reopen", EITHER, reason=True),
    # A closed case is reopened by the operators only (a client asks by message).
    _t("closed", "in_progress", "reopen", OPERATOR, reason=True),
)

_BY_PAIR: Final[dict[tuple[Status, Status], Transition]] = {
    (t.source, t.target): t for t in TRANSITIONS
}


def transition(source: str, target: str) -> Transition | None:
    """The transition from `source` to `target`, or None when the machine has none."""
    return _BY_PAIR.get((source, target))  # type: ignore[arg-type]


def from_status(source: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == source]


def permitted(t: Transition, may: Callable[[Action], bool], *, is_preparer: bool) -> bool:
    """Whether an actor who `may` do the given actions may take `t` (four eyes included)."""
    if t.four_eyes and is_preparer:
        return False
    return any(may(a) for a in t.actions)


def allowed_targets(
    source: str, may: Callable[[Action], bool], *, is_preparer: bool = False
) -> list[str]:
    """The statuses this actor may move a case in `source` to, in table order."""
    return [t.target for t in from_status(source) if permitted(t, may, is_preparer=is_preparer)]


def statuses_reachable(actions: Iterable[Action]) -> set[str]:
    """Targets reachable with the given actions from some status (for docs and tests)."""
    held = set(actions)
    return {t.target for t in TRANSITIONS if t.actions & held}
