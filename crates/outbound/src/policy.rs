//! Which hosts functions may reach: an operator's allow and deny lists of host names, and
//! whether private, loopback and link-local addresses are reachable (by default they are not,
//! so a function cannot be turned against the server's own network or a cloud metadata
//! endpoint). Addresses are checked after name resolution, on every redirect hop.

use std::net::IpAddr;

use url::{Host, Url};

/// An operator's rules for outbound requests.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// When not empty, only these hosts (`api.example.com`, or `*.example.com` for subdomains).
    pub allow_hosts: Vec<String>,
    /// Hosts never reached, in the same forms; they win over `allow_hosts`.
    pub deny_hosts: Vec<String>,
    /// Whether private, loopback, link-local and other non-global addresses are reachable.
    pub allow_private: bool,
}

fn matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.len() > suffix.len() && host.ends_with(&format!(".{suffix}")),
        None => host == pattern,
    }
}

impl Policy {
    /// Why `url` may not be requested, if it may not.
    pub fn check_url(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "only http and https URLs can be requested, not {}:",
                url.scheme()
            ));
        }
        let host = url.host().ok_or_else(|| format!("{url} has no host"))?;
        let name = match &host {
            Host::Domain(d) => d.to_string(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        self.check_host(&name)
    }

    /// Why `host` (a name or an address literal, as a socket or DNS query names it) may not
    /// be reached, if it may not.
    pub fn check_host(&self, host: &str) -> Result<(), String> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = bare.trim_end_matches('.').to_ascii_lowercase();
        if self.deny_hosts.iter().any(|p| matches(p, &name)) {
            return Err(format!("{name} is on the server's deny list"));
        }
        if !self.allow_hosts.is_empty() && !self.allow_hosts.iter().any(|p| matches(p, &name)) {
            return Err(format!("{name} is not on the server's allow list"));
        }
        match name.parse::<IpAddr>() {
            Ok(ip) if !self.ip_allowed(ip) => Err(refused(&name)),
            _ => Ok(()),
        }
    }

    /// Whether a resolved address may be connected to.
    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.allow_private || is_global(ip)
    }
}

/// The refusal for a host that is (or resolves only to) a non-global address.
pub fn refused(host: &str) -> String {
    format!(
        "{host} is a private, loopback or link-local address, which functions may not reach \
         (the operator can allow it with --http-allow-private)"
    )
}

/// Whether `ip` is a global unicast address (not private, loopback, link-local, shared,
/// documentation, benchmarking, multicast, broadcast or unspecified).
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_global(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn private_addresses_are_refused_unless_allowed() {
        let strict = Policy::default();
        for bad in [
            "http://127.0.0.1/",
            "http://10.1.2.3/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://[fd00::1]/",
            "http://100.64.0.1/",
        ] {
            assert!(strict.check_url(&url(bad)).is_err(), "{bad}");
        }
        assert!(strict.check_url(&url("https://93.184.216.34/")).is_ok());
        assert!(strict.check_url(&url("https://example.com/")).is_ok());
        let open = Policy {
            allow_private: true,
            ..Policy::default()
        };
        assert!(open.check_url(&url("http://127.0.0.1:8080/")).is_ok());
    }

    #[test]
    fn allow_and_deny_lists_match_hosts_and_subdomains() {
        let policy = Policy {
            allow_hosts: vec!["api.example.com".into(), "*.trusted.org".into()],
            deny_hosts: vec!["bad.trusted.org".into()],
            allow_private: false,
        };
        assert!(policy.check_url(&url("https://API.example.com/x")).is_ok());
        assert!(policy.check_url(&url("https://a.b.trusted.org/")).is_ok());
        assert!(policy.check_url(&url("https://trusted.org/")).is_err());
        assert!(policy.check_url(&url("https://bad.trusted.org/")).is_err());
        assert!(policy.check_url(&url("https://example.com/")).is_err());
        assert!(policy.check_url(&url("ftp://api.example.com/")).is_err());
    }
}
