//! `--switch-off SERVER=DATE`: from that UTC day on, the server
//! negotiates nothing below TLS 1.2. Every remote that would have
//! negotiated TLS 1.0/1.1 (or SSL 3) there fails with `AlgorithmMismatch`;
//! then, by a fate drawn from the seed, the server and the remote, it
//! retries at TLS 1.2 (recovers), retries without TLS (falls back, and
//! perhaps recovers later), or keeps failing (blocked). Retries come a few
//! minutes after a failure; a fallback that later recovers comes back
//! hours to a day after its plaintext session.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// Parses `--switch-off`'s `SERVER=YYYY-MM-DD` into the server and the
/// day's 00:00 UTC in ms.
pub fn parse_switch_off(s: &str) -> Result<(String, i64), String> {
    let bad = || format!("not SERVER=YYYY-MM-DD: {s:?} (try EX01=2024-03-10)");
    let (server, date) = s.split_once('=').ok_or_else(bad)?;
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts[..] else {
        return Err(bad());
    };
    let num = |x: &str, len: usize| {
        (x.len() == len && x.bytes().all(|c| c.is_ascii_digit()))
            .then(|| x.parse::<i64>().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(y, 4), num(m, 2), num(d, 2)) else {
        return Err(bad());
    };
    let days = days_from_civil(y, m, d);
    // A day that does not exist (2024-02-30) comes back as another.
    if server.is_empty()
        || !(1..=12).contains(&m)
        || crate::civil(days * crate::DAY_MS).2 != d as u32
    {
        return Err(bad());
    }
    Ok((server.to_string(), days * crate::DAY_MS))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What a remote does after the switch, with the share of remotes that
/// draw it (per mille).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Fails this many times, then negotiates TLS 1.2.
    Recovers(u32),
    /// Fails once, then sends in clear.
    FallsBack,
    /// Fails once, sends in clear this many times, then TLS 1.2.
    FallsBackThenRecovers(u32),
    Blocked,
}

/// How the session builder writes one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// As the remote's profile says.
    Normal,
    /// STARTTLS, then `AlgorithmMismatch`.
    Fail,
    /// No STARTTLS: mail or credentials in clear.
    Plain,
    /// TLS 1.2.
    Modern,
}

/// The fate of `ip` on `connector` of server `server`; where the
/// connector requires TLS, a fallback cannot send (the rules would count
/// its refused session as plaintext), so it is blocked or recovers there.
pub(crate) fn fate(seed: u64, server: usize, connector: usize, ip: &str, required: bool) -> Fate {
    let mut h = crate::Rng::new(seed ^ 0x5317_C40F, mix(server, connector, ip));
    let f = match h.below(1000) {
        0..=399 => Fate::Recovers(1 + h.below(2) as u32),
        400..=599 => Fate::FallsBack,
        600..=749 => Fate::FallsBackThenRecovers(1 + h.below(2) as u32),
        _ => Fate::Blocked,
    };
    match f {
        Fate::FallsBack if required => Fate::Blocked,
        Fate::FallsBackThenRecovers(_) if required => Fate::Recovers(1),
        f => f,
    }
}

fn mix(server: usize, connector: usize, ip: &str) -> u64 {
    // FNV-1a: the same on every platform.
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in ip.bytes().chain([server as u8, connector as u8]) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    h
}

/// Most retries a remote makes right after its failures (blocked ones
/// give up then; their later sessions come as chance brings them).
const MAX_RETRIES: u32 = 3;

/// One stream's switch: when, and what each remote did since.
pub(crate) struct SwitchState<W> {
    pub at: Option<i64>,
    seed: u64,
    server: usize,
    /// Per (connector, IP): sessions after the switch, retries made.
    seen: BTreeMap<(usize, String), (u32, u32)>,
    /// Sessions due: (time, order, who).
    due: BinaryHeap<std::cmp::Reverse<(i64, u64, W)>>,
    order: u64,
    /// (connector, IP) that negotiated below TLS 1.2 in this stream.
    legacy: BTreeSet<(usize, String)>,
    /// A remote with a legacy history has failed since the switch.
    pub broke: bool,
    /// The remote that negotiated below TLS 1.2 last, and whether the
    /// first session after the switch was given to it.
    last_legacy: Option<W>,
    came_back: bool,
}

impl<W: Ord + Copy> SwitchState<W> {
    pub(crate) fn new(at: Option<i64>, seed: u64, server: usize) -> Self {
        SwitchState {
            at,
            seed,
            server,
            seen: BTreeMap::new(),
            due: BinaryHeap::new(),
            order: 0,
            legacy: BTreeSet::new(),
            broke: false,
            last_legacy: None,
            came_back: false,
        }
    }

    /// The session due at `t`: a retry, or the first session after the
    /// switch, which the remote that negotiated below TLS 1.2 last opens
    /// (the switch shows on its day, as the morning after on a server).
    pub(crate) fn next(&mut self, t: i64) -> Option<W> {
        if !self.came_back && self.at.is_some_and(|at| at <= t) {
            self.came_back = true;
            if self.last_legacy.is_some() {
                return self.last_legacy;
            }
        }
        self.take_due(t)
    }

    /// Notes a session of the stream: `legacy`, it negotiated below TLS
    /// 1.2. Returns whether it is the first failure since the switch of a
    /// remote that did.
    pub(crate) fn note(&mut self, mode: Mode, c: usize, ip: &str, who: W, legacy: bool) -> bool {
        let key = (c, ip.to_string());
        if legacy {
            self.legacy.insert(key);
            self.last_legacy = Some(who);
            return false;
        }
        let first = mode == Mode::Fail && !self.broke && self.legacy.contains(&key);
        self.broke |= first;
        first
    }

    /// How a session at `t` of a remote is written: `legacy`, it would
    /// negotiate below TLS 1.2 here.
    pub(crate) fn mode(
        &mut self,
        t: i64,
        c: usize,
        ip: &str,
        legacy: bool,
        required: bool,
    ) -> Mode {
        if !legacy || self.at.is_none_or(|at| t < at) {
            return Mode::Normal;
        }
        let n = self.seen.entry((c, ip.to_string())).or_default();
        let k = n.0;
        n.0 += 1;
        match fate(self.seed, self.server, c, ip, required) {
            Fate::Blocked => Mode::Fail,
            Fate::Recovers(f) if k < f => Mode::Fail,
            Fate::Recovers(_) => Mode::Modern,
            Fate::FallsBack | Fate::FallsBackThenRecovers(_) if k == 0 => Mode::Fail,
            Fate::FallsBack => Mode::Plain,
            Fate::FallsBackThenRecovers(p) if k <= p => Mode::Plain,
            Fate::FallsBackThenRecovers(_) => Mode::Modern,
        }
    }

    /// After a session written in `mode` at `t`: a failure is retried a
    /// few minutes later (up to [`MAX_RETRIES`] times), a fallback that
    /// will recover comes back within a day.
    pub(crate) fn after(
        &mut self,
        mode: Mode,
        t: i64,
        c: usize,
        ip: &str,
        who: W,
        rng: &mut crate::Rng,
    ) {
        let Some(n) = self.seen.get_mut(&(c, ip.to_string())) else {
            return;
        };
        let delay = match mode {
            Mode::Fail if n.1 < MAX_RETRIES => {
                n.1 += 1;
                rng.range(120_000, 1_800_000)
            }
            Mode::Plain => rng.range(3_600_000, 86_400_000),
            _ => return,
        };
        self.schedule(t + delay as i64, who);
    }

    pub(crate) fn schedule(&mut self, t: i64, who: W) {
        self.due.push(std::cmp::Reverse((t, self.order, who)));
        self.order += 1;
    }

    /// The retry due at or before `t`, if any.
    fn take_due(&mut self, t: i64) -> Option<W> {
        if self.due.peek().is_some_and(|d| d.0.0 <= t) {
            return self.due.pop().map(|d| d.0.2);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_off_dates() {
        // 2024-03-10T00:00:00Z = 1 710 028 800 s (19 792 days).
        assert_eq!(
            parse_switch_off("EX01=2024-03-10"),
            Ok(("EX01".to_string(), 1_710_028_800_000))
        );
        assert_eq!(
            parse_switch_off("EX02=2000-03-01").unwrap().1,
            951_868_800_000
        );
        for bad in [
            "EX01",
            "=2024-03-10",
            "EX01=2024-3-10",
            "EX01=2024-02-30",
            "EX01=2024-13-01",
            "EX01=today",
        ] {
            assert!(parse_switch_off(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fates_follow_their_sessions() {
        let mut s: SwitchState<u8> = SwitchState::new(Some(1000), 1, 0);
        // Before the switch, or a remote at TLS 1.2: as its profile says.
        assert_eq!(s.mode(999, 0, "192.0.2.1", true, false), Mode::Normal);
        assert_eq!(s.mode(2000, 0, "192.0.2.1", false, false), Mode::Normal);
        // Find an IP of each fate and check its sessions' modes.
        let mut found = [false; 4];
        for i in 0..200 {
            let ip = format!("192.0.2.{i}");
            let modes: Vec<Mode> = (0..5)
                .map(|k| s.mode(2000 + k, 0, &ip, true, false))
                .collect();
            use Mode::*;
            let (slot, want): (usize, Vec<Mode>) = match fate(1, 0, 0, &ip, false) {
                Fate::Recovers(1) => (0, vec![Fail, Modern, Modern, Modern, Modern]),
                Fate::Recovers(_) => (0, vec![Fail, Fail, Modern, Modern, Modern]),
                Fate::FallsBack => (1, vec![Fail, Plain, Plain, Plain, Plain]),
                Fate::FallsBackThenRecovers(1) => (2, vec![Fail, Plain, Modern, Modern, Modern]),
                Fate::FallsBackThenRecovers(_) => (2, vec![Fail, Plain, Plain, Modern, Modern]),
                Fate::Blocked => (3, vec![Fail; 5]),
            };
            assert_eq!(modes, want, "{ip}");
            found[slot] = true;
        }
        assert_eq!(found, [true; 4]);
    }

    #[test]
    fn where_tls_is_required_nobody_falls_back() {
        for i in 0..200 {
            let ip = format!("10.20.0.{i}");
            assert!(matches!(
                fate(3, 1, 2, &ip, true),
                Fate::Recovers(_) | Fate::Blocked
            ));
        }
    }
}
