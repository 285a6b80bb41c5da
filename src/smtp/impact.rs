//! What switching TLS 1.0/1.1 off does to a remote: the impact classes of
//! docs/guide.md ("What breaks"). A session says part of it by itself
//! (an Exchange hop, a client that authenticated or submitted on 587);
//! the rest belongs to its connector (the inventory's `RequireTLS` and
//! permission groups, or a `530 5.7.0` reply to any of its sessions),
//! which is known only once every log is read.

use super::session::Session;
use crate::inventory::Inventory;
use crate::parse::Direction;

/// The impact classes, in the order the first that applies wins.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Impact {
    /// An Exchange server-to-server hop: internal mail flow stops.
    Internal,
    /// A device or application submitting mail: it stops sending.
    ClientSubmission,
    /// The connector requires TLS: mail queues, then bounces.
    TlsRequired,
    /// Anonymous STARTTLS: most senders retry in clear.
    Opportunistic,
}

impl Impact {
    pub const ALL: [Impact; 4] = [
        Impact::Internal,
        Impact::ClientSubmission,
        Impact::TlsRequired,
        Impact::Opportunistic,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Impact::Internal => "internal",
            Impact::ClientSubmission => "client_submission",
            Impact::TlsRequired => "tls_required",
            Impact::Opportunistic => "opportunistic",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// What switching old TLS off does to remotes of this class.
    pub fn consequence(self) -> &'static str {
        match self {
            Impact::Internal => "internal mail flow between those servers stops",
            Impact::ClientSubmission => "the device or application stops sending mail",
            Impact::TlsRequired => "mail to or from this host queues, then bounces",
            Impact::Opportunistic => {
                "most senders retry without TLS and mail goes on unencrypted; \
                 those that enforce MTA-STS or DANE fail instead"
            }
        }
    }

    /// What one session says by itself: `Internal`, `ClientSubmission`, or
    /// `Opportunistic` when only its connector can tell more.
    pub fn of_session(s: &Session) -> Impact {
        if s.internal() || s.exchange_auth {
            Impact::Internal
        } else if s.auth_user.is_some()
            || (s.direction == Direction::Receive && s.local_port == Some(587))
        {
            Impact::ClientSubmission
        } else {
            Impact::Opportunistic
        }
    }
}

/// What a connector says of the impact of its sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ConnectorTraits {
    /// A receive connector whose permission groups include `ExchangeUsers`.
    pub client: bool,
    /// The inventory's `RequireTLS` or `TlsAuthLevel`, or a session on it
    /// got `530 5.7.0`/`451 5.7.3` in the logs.
    pub requires_tls: bool,
}

impl ConnectorTraits {
    /// The traits of `connector` (as in the logs: `SERVER\Name` for receive,
    /// the name for send) of `server`; `replied` is the logs' evidence.
    pub(crate) fn of(
        inventory: Option<&Inventory>,
        direction: Direction,
        server: &str,
        connector: &[u8],
        replied: bool,
    ) -> ConnectorTraits {
        let mut t = ConnectorTraits {
            client: false,
            requires_tls: replied,
        };
        let Some(inv) = inventory else { return t };
        let name = String::from_utf8_lossy(connector);
        match direction {
            Direction::Receive => {
                if let Some(r) = inv
                    .receive_of(server)
                    .find(|r| r.identity.eq_ignore_ascii_case(&name))
                {
                    t.client = r.permission_groups.as_deref().is_some_and(|g| {
                        g.split([',', ' '])
                            .any(|w| w.eq_ignore_ascii_case("ExchangeUsers"))
                    });
                    t.requires_tls |= r.require_tls == Some(true);
                }
            }
            Direction::Send => {
                if let Some(c) = inv
                    .send_of(server)
                    .find(|c| c.identity.eq_ignore_ascii_case(&name))
                {
                    t.requires_tls |= c.require_tls == Some(true)
                        || c.tls_auth_level
                            .as_deref()
                            .is_some_and(|l| !l.trim().is_empty());
                }
            }
        }
        t
    }

    /// The impact of sessions whose own evidence says `own` (see
    /// [`Impact::of_session`]) on a connector with these traits.
    pub(crate) fn resolve(self, own: Impact) -> Impact {
        match own {
            Impact::Internal => Impact::Internal,
            _ if own == Impact::ClientSubmission || self.client => Impact::ClientSubmission,
            _ if self.requires_tls => Impact::TlsRequired,
            _ => Impact::Opportunistic,
        }
    }
}
