//! Login challenges and their states.
//!
//! ```text
//!             context (nonce ok)
//!   pending ─────────────────────► scanned
//!      │                              │
//!      │ response/offline ok          │ response/offline ok ──► approved (final)
//!      │ deny ok                      │ deny ok             ──► denied   (final)
//!      │ answer by a blocked account  │ (same)              ──► blocked  (final)
//!      ▼                              ▼
//!   now >= expires_at: expired (computed when read, never stored; final)
//! ```
//!
//! [`StoredState::priors`] is the table of these moves; storage executes it and nothing else.
//! A decided challenge stays decided after its expiry time: the browser must still learn
//! that it was approved. `blocked` ends the challenge when the account answering it is
//! blocked (the answer that reached the threshold, or any answer while blocked), so that the
//! browser showing the QR can tell its user at once instead of waiting for the expiry.

use tigr_core::wire::ChallengeState;

/// The states that are stored (expiry is derived from the time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredState {
    /// Shown, not scanned yet.
    Pending,
    /// A phone fetched the context.
    Scanned,
    /// Approved (online signature or offline code).
    Approved,
    /// Denied from the phone.
    Denied,
    /// Answered by an account that is (now) blocked.
    Blocked,
}

impl StoredState {
    /// Every stored state.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Scanned,
        Self::Approved,
        Self::Denied,
        Self::Blocked,
    ];

    /// The states a challenge may be in for it to move to `self`; besides, it must still be
    /// unexpired at the time of the move. Nothing moves back to `pending` (a challenge is
    /// created pending) and nothing leaves a decision: storage moves a challenge only along
    /// this table, and the guarded statement that does so is what makes it single-use.
    pub const fn priors(self) -> &'static [Self] {
        match self {
            Self::Pending => &[],
            Self::Scanned => &[Self::Pending],
            Self::Approved | Self::Denied | Self::Blocked => &[Self::Pending, Self::Scanned],
        }
    }

    /// True when a challenge in state `self` may move to `next` (see [`StoredState::priors`]).
    pub fn may_move_to(self, next: Self) -> bool {
        next.priors().contains(&self)
    }

    /// The database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Scanned => "scanned",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Blocked => "blocked",
        }
    }

    /// Parses the database spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => Self::Pending,
            "scanned" => Self::Scanned,
            "approved" => Self::Approved,
            "denied" => Self::Denied,
            "blocked" => Self::Blocked,
            _ => return None,
        })
    }
}

/// A login challenge as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginChallenge {
    /// Public identifier.
    pub id: String,
    /// Secret carried by the QR code.
    pub nonce: String,
    /// SHA-256 of the browser token.
    pub browser_token_hash: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
    /// Expiry time (exclusive: at `expires_at` the challenge is expired).
    pub expires_at: i64,
    /// Stored state.
    pub state: StoredState,
    /// The account that decided, once decided.
    pub account_id: Option<String>,
    /// IP address of the browser that created it.
    pub browser_ip: String,
    /// Short description of that browser ("" when unknown).
    pub browser_summary: String,
    /// The service the login is for, as the phone shows it (an OpenID Connect client's
    /// name); `None`: the server's own service name.
    pub service_name: Option<String>,
    /// When it was decided.
    pub decided_at: Option<i64>,
    /// When blocked: the end of a temporary block (`None`: until an administrator unblocks).
    pub blocked_until: Option<i64>,
}

/// Why a challenge can no longer be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Its time is over (410).
    Expired,
    /// It was already approved, denied or ended on a block (409).
    Used,
}

impl LoginChallenge {
    /// The state as clients see it at `now`.
    pub fn state_at(&self, now: i64) -> ChallengeState {
        match self.state {
            StoredState::Approved => ChallengeState::Approved,
            StoredState::Denied => ChallengeState::Denied,
            StoredState::Blocked => ChallengeState::Blocked,
            _ if now >= self.expires_at => ChallengeState::Expired,
            StoredState::Pending => ChallengeState::Pending,
            StoredState::Scanned => ChallengeState::Scanned,
        }
    }

    /// Ok when a phone may still answer (or scan) the challenge at `now`. In the protocol's
    /// order (docs/protocol.md §3.5): expired (410) before decided (409). A decision stays
    /// what the browser's status shows after the expiry ([`LoginChallenge::state_at`]), but
    /// an answer that comes after the expiry is late, whatever became of the challenge.
    pub fn check_open(&self, now: i64) -> Result<(), Closed> {
        if now >= self.expires_at {
            return Err(Closed::Expired);
        }
        match self.state {
            StoredState::Pending | StoredState::Scanned => Ok(()),
            StoredState::Approved | StoredState::Denied | StoredState::Blocked => Err(Closed::Used),
        }
    }

    /// True when this challenge ended on the block of `account`: an answer from that account
    /// is to be refused as the lockout says now (still blocked: 423; unblocked since: the
    /// login is over all the same).
    pub fn ended_on_block_of(&self, account: &str) -> bool {
        self.state == StoredState::Blocked && self.account_id.as_deref() == Some(account)
    }

    /// The account to report to the browser (only once approved).
    pub fn approved_account(&self) -> Option<&str> {
        (self.state == StoredState::Approved)
            .then_some(self.account_id.as_deref())
            .flatten()
    }
}

/// True for states that never change again.
pub fn is_final(state: ChallengeState) -> bool {
    matches!(
        state,
        ChallengeState::Approved
            | ChallengeState::Denied
            | ChallengeState::Blocked
            | ChallengeState::Expired
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(state: StoredState) -> LoginChallenge {
        LoginChallenge {
            id: "C".into(),
            nonce: "N".into(),
            browser_token_hash: vec![0; 32],
            created_at: 1000,
            expires_at: 1120,
            state,
            account_id: (state == StoredState::Approved).then(|| "alice".to_owned()),
            browser_ip: "127.0.0.1".into(),
            browser_summary: String::new(),
            service_name: None,
            decided_at: None,
            blocked_until: None,
        }
    }

    #[test]
    fn expiry_is_computed_at_read_time() {
        let c = challenge(StoredState::Pending);
        assert_eq!(c.state_at(1000), ChallengeState::Pending);
        assert_eq!(c.state_at(1119), ChallengeState::Pending);
        assert_eq!(c.state_at(1120), ChallengeState::Expired);
        let s = challenge(StoredState::Scanned);
        assert_eq!(s.state_at(1119), ChallengeState::Scanned);
        assert_eq!(s.state_at(5000), ChallengeState::Expired);
    }

    #[test]
    fn decisions_are_final_even_after_expiry() {
        let a = challenge(StoredState::Approved);
        assert_eq!(a.state_at(5000), ChallengeState::Approved);
        assert_eq!(a.approved_account(), Some("alice"));
        let d = challenge(StoredState::Denied);
        assert_eq!(d.state_at(5000), ChallengeState::Denied);
        assert_eq!(d.approved_account(), None);
        let b = challenge(StoredState::Blocked);
        assert_eq!(b.state_at(1000), ChallengeState::Blocked);
        assert_eq!(b.state_at(5000), ChallengeState::Blocked);
        assert_eq!(b.approved_account(), None);
        assert!(is_final(ChallengeState::Blocked));
    }

    #[test]
    fn open_check() {
        assert_eq!(challenge(StoredState::Pending).check_open(1119), Ok(()));
        assert_eq!(challenge(StoredState::Scanned).check_open(1000), Ok(()));
        assert_eq!(
            challenge(StoredState::Pending).check_open(1120),
            Err(Closed::Expired)
        );
        assert_eq!(
            challenge(StoredState::Approved).check_open(1000),
            Err(Closed::Used)
        );
        assert_eq!(
            challenge(StoredState::Denied).check_open(1119),
            Err(Closed::Used)
        );
        assert_eq!(
            challenge(StoredState::Blocked).check_open(1000),
            Err(Closed::Used)
        );
        // Expired before decided (docs/protocol.md §3.5): once its time is over, a decided
        // challenge refuses an answer as expired, while its status still shows the decision.
        for state in [
            StoredState::Approved,
            StoredState::Denied,
            StoredState::Blocked,
        ] {
            let decided = challenge(state);
            assert_eq!(decided.check_open(1120), Err(Closed::Expired), "{state:?}");
            assert_eq!(decided.check_open(9999), Err(Closed::Expired), "{state:?}");
            assert_ne!(decided.state_at(9999), ChallengeState::Expired, "{state:?}");
        }
    }

    #[test]
    fn a_challenge_ended_on_a_block_is_that_accounts() {
        let blocked = LoginChallenge {
            account_id: Some("alice".to_owned()),
            ..challenge(StoredState::Blocked)
        };
        assert!(blocked.ended_on_block_of("alice"));
        assert!(!blocked.ended_on_block_of("bob"));
        let denied = LoginChallenge {
            account_id: Some("alice".to_owned()),
            ..challenge(StoredState::Denied)
        };
        assert!(!denied.ended_on_block_of("alice"));
    }

    #[test]
    fn states_move_forward_only_and_decisions_are_final() {
        use StoredState::{Approved, Blocked, Denied, Pending, Scanned};
        // (from, to) for every pair: the whole table.
        let allowed = [
            (Pending, Scanned),
            (Pending, Approved),
            (Pending, Denied),
            (Pending, Blocked),
            (Scanned, Approved),
            (Scanned, Denied),
            (Scanned, Blocked),
        ];
        for from in StoredState::ALL {
            for to in StoredState::ALL {
                assert_eq!(
                    from.may_move_to(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        // The states a phone may answer in are exactly those a decision may follow.
        for state in StoredState::ALL {
            assert_eq!(
                challenge(state).check_open(1000).is_ok(),
                state.may_move_to(Approved),
                "{state:?}"
            );
        }
    }

    #[test]
    fn stored_state_spelling_round_trips() {
        for s in StoredState::ALL {
            assert_eq!(StoredState::parse(s.as_str()), Some(s));
        }
        assert_eq!(StoredState::parse("expired"), None);
        assert!(is_final(ChallengeState::Expired));
        assert!(!is_final(ChallengeState::Scanned));
    }
}
