//! What stops one client from guessing passwords or filling the user store: failed password
//! logins throttled per account and per client address, and new users (anonymous logins,
//! registrations) throttled per client address. Throttled requests get 429 `TooManyRequests`
//! with `Retry-After`. (The memory password hashing may hold is bounded in `passwords.rs`.)
//!
//! The throttles are token buckets: a key holds up to `burst` tokens and regains them evenly
//! over `period`. A password login spends a token of its account and of its address before the
//! password is checked, and a successful one gets them back, so only failures count; a new
//! user spends one of its address. A request whose key has no token left is refused before any
//! work. (`governor` was considered: it cannot give a token back.)

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::ApiError;

/// How many keys one throttle tracks at most; past that, keys it does not know are refused
/// until old ones have refilled (a bound on memory under a distributed attack).
const MAX_KEYS: usize = 100_000;

/// `burst` events, regained evenly over `period` (written `BURST/SECONDS`, e.g. `10/300`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Events allowed at once.
    pub burst: u32,
    /// How long a key takes to regain all of them.
    pub period: Duration,
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not BURST/SECONDS, e.g. 10/300");
        let (burst, secs) = s.split_once('/').ok_or_else(bad)?;
        let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
        let secs: u64 = secs.trim().parse().map_err(|_| bad())?;
        if burst == 0 || secs == 0 {
            return Err(bad());
        }
        Ok(Rate {
            burst,
            period: Duration::from_secs(secs),
        })
    }
}

/// The abuse limits of `writ serve` (flags and environment variables).
#[derive(Debug, Clone, clap::Args)]
pub struct LimitOptions {
    /// Failed password logins per account: BURST/SECONDS.
    #[arg(long, env = "WRIT_LOGIN_THROTTLE_ACCOUNT", default_value = "10/300")]
    pub login_throttle_account: Rate,
    /// Failed password, custom-function and Facebook logins per client address: BURST/SECONDS.
    #[arg(long, env = "WRIT_LOGIN_THROTTLE_ADDRESS", default_value = "100/300")]
    pub login_throttle_address: Rate,
    /// New users (anonymous logins, registrations) per client address: BURST/SECONDS.
    #[arg(long, env = "WRIT_SIGNUP_THROTTLE_ADDRESS", default_value = "30/60")]
    pub signup_throttle_address: Rate,
    /// Password hashing threads, so hashes computed at once (each holds ~19 MiB); 0: one per core.
    #[arg(long, env = "WRIT_PASSWORD_HASH_CONCURRENCY", default_value_t = 0)]
    pub password_hash_concurrency: usize,
    /// The header a reverse proxy puts the client's address in (its last entry is used), e.g.
    /// X-Forwarded-For; by default the connection's peer address.
    #[arg(long, env = "WRIT_CLIENT_ADDRESS_HEADER")]
    pub client_address_header: Option<String>,
    /// Connections one client address may hold open at once; 0: no cap. Not applied with
    /// `--client-address-header` (behind a proxy every connection is the proxy's).
    #[arg(long, env = "WRIT_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 256)]
    pub max_connections_per_address: usize,
    /// Seconds a client has to send a request's headers; an idle keep-alive connection is
    /// closed after as long.
    #[arg(long, env = "WRIT_HEADER_TIMEOUT", default_value_t = 30)]
    pub header_timeout: u64,
    /// Seconds a request's body may take to arrive after its headers (Node's default
    /// `requestTimeout` is 300).
    #[arg(long, env = "WRIT_BODY_TIMEOUT", default_value_t = 300)]
    pub body_timeout: u64,
    /// Calls one user may have in flight at once; 0: half the engine's workers.
    #[arg(long, env = "WRIT_MAX_CALLS_PER_USER", default_value_t = 0)]
    pub max_calls_per_user: usize,
    /// Calls one client address may have in flight at once; 0: the engine's workers less a
    /// quarter (so one address never holds the whole pool).
    #[arg(long, env = "WRIT_MAX_CALLS_PER_ADDRESS", default_value_t = 0)]
    pub max_calls_per_address: usize,
    /// A function call's time limit, in seconds (App Services: 300).
    #[arg(long, env = "WRIT_FUNCTION_TIMEOUT", default_value_t = 300)]
    pub function_timeout: u64,
    /// The memory one function call may allocate, in MiB (App Services: 350).
    #[arg(long, env = "WRIT_FUNCTION_MEMORY", default_value_t = 350)]
    pub function_memory: u64,
    /// The most memory the embedded store's page cache holds, in MiB (what it read and wrote
    /// last stays there; the kernel caches the file besides).
    #[arg(long, env = "WRIT_STORE_CACHE", default_value_t = 256)]
    pub store_cache: u64,
    /// Calls one worker process runs at once, each on its own thread and JavaScript context:
    /// more share the cost of waking a process between them; fewer lose fewer calls when one
    /// call ends its process (a memory limit, a deadline).
    #[arg(long, env = "WRIT_CALLS_PER_PROCESS", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub calls_per_process: u64,
    /// Where functions run: `process` (worker processes, isolated and limited) or `thread`
    /// (threads of the server: no memory limit, no stopping a runaway; trusted code only).
    #[arg(long, env = "WRIT_ISOLATION", value_enum, default_value_t = IsolationMode::Process)]
    pub isolation: IsolationMode,
    /// The program worker processes run (default: this binary).
    #[arg(long, env = "WRIT_WORKER_PROGRAM", hide = true)]
    pub worker_program: Option<std::path::PathBuf>,
    /// Hosts functions may reach with `context.http`, `fetch`, `http`, `net`/`tls` sockets and
    /// `dns` (`api.example.com`, or `*.example.com` for its subdomains; repeatable or
    /// comma-separated). None: any host.
    #[arg(
        long = "http-allow-host",
        env = "WRIT_HTTP_ALLOW_HOSTS",
        value_delimiter = ','
    )]
    pub http_allow_hosts: Vec<String>,
    /// Hosts functions may never reach (same forms); they win over the allow list.
    #[arg(long = "http-deny-host", env = "WRIT_HTTP_DENY_HOSTS", value_delimiter = ',')]
    pub http_deny_hosts: Vec<String>,
    /// Let functions reach private, loopback and link-local addresses (refused by default, so
    /// a function cannot reach the server's own network or a cloud metadata endpoint).
    #[arg(long, env = "WRIT_HTTP_ALLOW_PRIVATE")]
    pub http_allow_private: bool,
    /// Variables functions find in `process.env` (`NAME=VALUE`, or `NAME` for the server's own
    /// value; repeatable or comma-separated). None by default, as App Services gave none.
    #[arg(long = "function-env", env = "WRIT_FUNCTION_ENV", value_delimiter = ',')]
    pub function_env: Vec<String>,
}

impl LimitOptions {
    /// The listener's connection limits these options describe.
    pub fn connection_limits(&self) -> super::listen::ConnectionLimits {
        super::listen::ConnectionLimits {
            header_timeout: std::time::Duration::from_secs(self.header_timeout.max(1)),
            body_timeout: std::time::Duration::from_secs(self.body_timeout.max(1)),
            per_address: (self.max_connections_per_address > 0 && self.client_address_header.is_none())
                .then_some(self.max_connections_per_address),
        }
    }

    /// The outbound HTTP policy these options describe.
    pub fn http_policy(&self) -> outbound::Policy {
        outbound::Policy {
            allow_hosts: self.http_allow_hosts.clone(),
            deny_hosts: self.http_deny_hosts.clone(),
            allow_private: self.http_allow_private,
        }
    }
}

/// `process.env` for functions from `--function-env` entries: `NAME=VALUE` as given, `NAME`
/// with this process's value (an error when it has none, so a typo does not pass silently).
pub fn function_env(entries: &[String]) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let mut env = std::collections::BTreeMap::new();
    for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let (name, value) = match entry.split_once('=') {
            Some((name, value)) => (name.to_string(), value.to_string()),
            None => {
                let value = std::env::var(entry).map_err(|_| {
                    anyhow::anyhow!(
                        "--function-env {entry}: this process has no environment variable {entry}"
                    )
                })?;
                (entry.to_string(), value)
            }
        };
        if name.is_empty() {
            anyhow::bail!("--function-env '{entry}': the variable needs a name");
        }
        env.insert(name, value);
    }
    Ok(env)
}

/// Where `writ serve` runs functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IsolationMode {
    /// Worker processes: a call's memory is capped and a call past its deadline is killed.
    Process,
    /// Threads of the server process, for trusted code.
    Thread,
}

impl Default for LimitOptions {
    fn default() -> Self {
        let rate = |burst, secs| Rate {
            burst,
            period: Duration::from_secs(secs),
        };
        Self {
            login_throttle_account: rate(10, 300),
            login_throttle_address: rate(100, 300),
            signup_throttle_address: rate(30, 60),
            password_hash_concurrency: 0,
            client_address_header: None,
            max_connections_per_address: 256,
            header_timeout: 30,
            body_timeout: 300,
            max_calls_per_user: 0,
            max_calls_per_address: 0,
            function_timeout: 300,
            function_memory: 350,
            store_cache: 256,
            calls_per_process: 4,
            isolation: IsolationMode::Process,
            worker_program: None,
            http_allow_hosts: Vec::new(),
            http_deny_hosts: Vec::new(),
            http_allow_private: false,
            function_env: Vec::new(),
        }
    }
}

/// A token bucket per key.
pub struct Throttle {
    rate: Rate,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Throttle {
    /// A throttle allowing `rate` per key.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn per_token(&self) -> f64 {
        self.rate.period.as_secs_f64() / f64::from(self.rate.burst)
    }

    /// The tokens `key` holds now (refilled since it was last charged).
    fn tokens(&self, entry: Option<&(f64, Instant)>, now: Instant) -> f64 {
        let burst = f64::from(self.rate.burst);
        entry.map_or(burst, |(tokens, at)| {
            (tokens + now.duration_since(*at).as_secs_f64() / self.per_token()).min(burst)
        })
    }

    /// Spends one of `key`'s tokens, or refuses with how long to wait when it has none left.
    /// Spent up front, so concurrent requests cannot all pass before any is counted.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            let full = f64::from(self.rate.burst);
            buckets.retain(|_, entry| self.tokens(Some(entry), now) < full);
            if buckets.len() >= MAX_KEYS {
                return Err(Duration::from_secs_f64(self.per_token()));
            }
        }
        let tokens = self.tokens(buckets.get(key), now);
        if tokens < 1.0 {
            return Err(Duration::from_secs_f64((1.0 - tokens) * self.per_token()));
        }
        buckets.insert(key.to_string(), (tokens - 1.0, now));
        Ok(())
    }

    /// Gives back a token [`Throttle::take`] spent (the request turned out not to count).
    pub fn refund(&self, key: &str) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let tokens = self.tokens(buckets.get(key), now);
        if tokens + 1.0 >= f64::from(self.rate.burst) {
            buckets.remove(key);
        } else {
            buckets.insert(key.to_string(), (tokens + 1.0, now));
        }
    }

    /// Forgets `key` (a successful login clears its account's failures).
    pub fn forget(&self, key: &str) {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

/// The throttles of one server.
pub struct Limits {
    /// Failed password logins per account.
    pub login_account: Throttle,
    /// Failed password logins per client address.
    pub login_address: Throttle,
    /// New users per client address.
    pub signup_address: Throttle,
    /// The header holding the client's address behind a reverse proxy.
    pub client_address_header: Option<String>,
}

impl Limits {
    /// The throttles `options` describe.
    pub fn new(options: &LimitOptions) -> Self {
        Self {
            login_account: Throttle::new(options.login_throttle_account),
            login_address: Throttle::new(options.login_throttle_address),
            signup_address: Throttle::new(options.signup_throttle_address),
            client_address_header: options.client_address_header.clone(),
        }
    }
}

/// How many of something each key holds at once (calls, streams, connections); a place is
/// taken under caps and given back when its [`Place`] drops.
#[derive(Default)]
pub struct Held(Mutex<HashMap<String, usize>>);

/// Places taken in [`Held`], one per key, given back when dropped.
pub struct Place {
    owner: Arc<Held>,
    keys: Vec<String>,
}

impl Held {
    /// A place under every `(key, cap)` at once, or none: `Err` with the index of the first
    /// key at its cap.
    pub fn take(self: &Arc<Self>, caps: Vec<(String, usize)>) -> Result<Place, usize> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(full) = caps
            .iter()
            .position(|(k, cap)| counts.get(k).copied().unwrap_or(0) >= *cap)
        {
            return Err(full);
        }
        let keys: Vec<String> = caps.into_iter().map(|(k, _)| k).collect();
        for k in &keys {
            *counts.entry(k.clone()).or_insert(0) += 1;
        }
        Ok(Place {
            owner: self.clone(),
            keys,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = self.owner.0.lock().unwrap_or_else(|e| e.into_inner());
        for k in &self.keys {
            if let Some(n) = counts.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(k);
                }
            }
        }
    }
}

/// Calls in flight per user and per client address, capped so one client or user cannot hold
/// every worker (a runaway holds its worker until its deadline) and the pool keeps capacity
/// for others.
pub struct InFlight {
    per_user: usize,
    per_address: usize,
    held: Arc<Held>,
}

/// One call's place in [`InFlight`], given back when dropped.
pub type InFlightSlot = Place;

impl InFlight {
    /// Caps from `options`; by default half of `workers` per user and `workers` less a
    /// quarter per address (at least one each).
    pub fn new(options: &LimitOptions, workers: usize) -> Arc<Self> {
        let or = |n: usize, default: usize| if n == 0 { default.max(1) } else { n };
        Self::with_caps(
            or(options.max_calls_per_user, workers / 2),
            or(options.max_calls_per_address, workers - (workers / 4).max(1)),
        )
    }

    /// Fixed caps: `per_user` and `per_address` at once.
    pub fn with_caps(per_user: usize, per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            per_user,
            per_address,
            held: Arc::default(),
        })
    }

    /// A slot for a call by `user` from `address`; 429 when either has its cap in flight.
    pub fn enter(self: &Arc<Self>, user: &str, address: &str) -> Result<InFlightSlot, ApiError> {
        let caps = vec![
            (format!("user:{user}"), self.per_user),
            (format!("address:{address}"), self.per_address),
        ];
        self.held.take(caps).map_err(|full| {
            let what = match full {
                0 => "calls in flight for this user",
                _ => "calls in flight from this address",
            };
            too_many(what, Duration::from_secs(1))
        })
    }
}

/// 429 `TooManyRequests`, telling the client when to try again.
pub fn too_many(what: &str, wait: Duration) -> ApiError {
    let mut e = ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        format!("too many {what}: try again later"),
    );
    e.retry_after = Some((wait.as_secs_f64().ceil() as u64).max(1));
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_regains_its_tokens_over_the_period() {
        let t = Throttle::new("2/1".parse().unwrap());
        assert!(t.take("a").is_ok() && t.take("a").is_ok());
        let wait = t.take("a").unwrap_err();
        assert!(wait <= Duration::from_millis(500), "{wait:?}");
        assert!(t.take("b").is_ok(), "other keys are not affected");
        std::thread::sleep(wait + Duration::from_millis(20));
        assert!(t.take("a").is_ok());
        t.forget("a");
        assert!(t.take("a").is_ok() && t.take("a").is_ok() && t.take("a").is_err());
        t.refund("a");
        assert!(t.take("a").is_ok() && t.take("a").is_err());
    }

    #[test]
    fn rates_parse_as_burst_per_seconds() {
        assert_eq!(
            "10/300".parse::<Rate>(),
            Ok(Rate {
                burst: 10,
                period: Duration::from_secs(300)
            })
        );
        for bad in ["10", "0/5", "5/0", "a/b", ""] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }
}
