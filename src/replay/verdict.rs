use std::fmt;

/// Why the guard answered a request itself; in the answer's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplayVerdict {
    /// A copy of a request answered before: the recorded answer, again.
    Replayed,
    /// A copy of a request still being handled: `409`.
    InProgress,
    /// A copy of a request whose 2xx answer was too large to record: `409`.
    AnswerNotKept,
    /// The store failed or timed out: `503` (unless the guard fails open).
    StoreUnavailable,
    /// The store is reachable but full (Redis's `OOM`): `503` (unless the
    /// guard fails open).
    StoreFull,
    /// The request's account holds all the store lets one account hold:
    /// `503` for that account's new requests only, even when the guard
    /// fails open (letting them through would leave that account's
    /// webhooks unguarded exactly when one floods).
    AccountOverBudget,
}

impl ReplayVerdict {
    /// A short machine-readable code, as the `reason` of its event.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Replayed => "duplicate_replayed",
            Self::InProgress => "duplicate_in_progress",
            Self::AnswerNotKept => "duplicate_answer_not_kept",
            Self::StoreUnavailable => "store_unavailable",
            Self::StoreFull => "store_full",
            Self::AccountOverBudget => "account_over_budget",
        }
    }
}

impl fmt::Display for ReplayVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Replayed => "duplicate webhook answered with the recorded answer",
            Self::InProgress => "duplicate webhook while the first copy is handled",
            Self::AnswerNotKept => "duplicate webhook whose answer was not recorded",
            Self::StoreUnavailable => "replay store unavailable",
            Self::StoreFull => "replay store full",
            Self::AccountOverBudget => "the account's share of the replay store is full",
        })
    }
}
