//! Name resolution for functions (`dns`): `lookup` through the system's resolver, as Node's
//! `dns.lookup` (getaddrinfo), and `resolve`/`reverse` as DNS queries with hickory (the
//! system's name servers). The operator's policy applies: a denied name is not resolved, and
//! addresses functions may not reach are not given out.

use std::{net::IpAddr, sync::Arc, sync::OnceLock};

use bson::{Bson, Document, doc};
use engine::host::HostError;
use hickory_resolver::{
    TokioResolver,
    proto::rr::{RData, RecordType},
};

use crate::{Policy, net::net_error};

fn resolver() -> Result<&'static TokioResolver, HostError> {
    static RESOLVER: OnceLock<Result<TokioResolver, String>> = OnceLock::new();
    RESOLVER
        .get_or_init(|| {
            TokioResolver::builder_tokio()
                .map(|b| b.build())
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
        })
        .as_ref()
        .map_err(|e| {
            net_error(
                "ECONNREFUSED",
                format!("the system's DNS configuration cannot be read: {e}"),
            )
        })
}

fn refused(syscall: &str, host: &str, why: &str) -> HostError {
    net_error("EACCES", format!("{syscall} EACCES {host}: {why}"))
}

fn not_found(syscall: &str, host: &str) -> HostError {
    net_error("ENOTFOUND", format!("{syscall} ENOTFOUND {host}"))
}

/// `lookup {host, family}`: the addresses the system resolves `host` to (family 4, 6 or 0 for
/// both), keeping only those the policy lets functions reach.
pub(crate) async fn lookup(policy: Arc<Policy>, spec: Document) -> Result<Bson, HostError> {
    let host = spec.get_str("host").unwrap_or_default().to_string();
    let family = spec.get_i32("family").unwrap_or(0);
    policy
        .check_host(&host)
        .map_err(|why| refused("getaddrinfo", &host, &why))?;
    let found: Vec<IpAddr> = tokio::net::lookup_host((host.as_str(), 0))
        .await
        .map_err(|_| not_found("getaddrinfo", &host))?
        .map(|a| a.ip())
        .filter(|ip| family == 0 || (family == 4) == ip.is_ipv4())
        .collect();
    let mut seen = Vec::new();
    for ip in found.iter().copied().filter(|ip| policy.ip_allowed(*ip)) {
        if !seen.contains(&ip) {
            seen.push(ip);
        }
    }
    if seen.is_empty() {
        return Err(if found.is_empty() {
            not_found("getaddrinfo", &host)
        } else {
            refused("getaddrinfo", &host, &crate::policy::refused(&host))
        });
    }
    let addresses: Vec<Bson> = seen
        .into_iter()
        .map(|ip| {
            Bson::Document(doc! {"address": ip.to_string(), "family": if ip.is_ipv4() { 4 } else { 6 }})
        })
        .collect();
    Ok(Bson::Document(doc! {"addresses": addresses}))
}

fn name(n: &hickory_resolver::proto::rr::Name) -> String {
    n.to_utf8().trim_end_matches('.').to_string()
}

/// `resolve {host, rrtype}`: the records of one type, shaped as Node's `dns.resolve*` gives
/// them (A and AAAA addresses the policy forbids are left out).
pub(crate) async fn resolve(policy: Arc<Policy>, spec: Document) -> Result<Bson, HostError> {
    let host = spec.get_str("host").unwrap_or_default().to_string();
    let rrtype = spec.get_str("rrtype").unwrap_or("A").to_ascii_uppercase();
    let syscall = format!(
        "query{}",
        rrtype.chars().next().map_or(String::new(), |c| c.to_string()) + &rrtype[1..].to_ascii_lowercase()
    );
    policy
        .check_host(&host)
        .map_err(|why| refused(&syscall, &host, &why))?;
    let kind = match rrtype.as_str() {
        "A" => RecordType::A,
        "AAAA" => RecordType::AAAA,
        "MX" => RecordType::MX,
        "TXT" => RecordType::TXT,
        "SRV" => RecordType::SRV,
        "CNAME" => RecordType::CNAME,
        "NS" => RecordType::NS,
        "PTR" => RecordType::PTR,
        "SOA" => RecordType::SOA,
        "CAA" => RecordType::CAA,
        other => {
            return Err(net_error(
                "ERR_INVALID_ARG_VALUE",
                format!("The argument 'rrtype' is invalid. Received '{other}'"),
            ));
        }
    };
    let answer = resolver()?
        .lookup(host.as_str(), kind)
        .await
        .map_err(|_| not_found(&syscall, &host))?;
    let mut records = Vec::new();
    let mut hidden = false;
    for record in answer.answers() {
        let value = match &record.data {
            RData::A(a) if policy.ip_allowed(IpAddr::V4(a.0)) => {
                Bson::Document(doc! {"address": a.0.to_string(), "ttl": i64::from(record.ttl)})
            }
            RData::AAAA(a) if policy.ip_allowed(IpAddr::V6(a.0)) => {
                Bson::Document(doc! {"address": a.0.to_string(), "ttl": i64::from(record.ttl)})
            }
            RData::A(_) | RData::AAAA(_) => {
                hidden = true;
                continue;
            }
            RData::MX(mx) => {
                Bson::Document(doc! {"exchange": name(&mx.exchange), "priority": i32::from(mx.preference)})
            }
            RData::TXT(txt) => Bson::Array(
                txt.txt_data
                    .iter()
                    .map(|c| Bson::String(String::from_utf8_lossy(c).into_owned()))
                    .collect(),
            ),
            RData::SRV(srv) => Bson::Document(doc! {
                "name": name(&srv.target),
                "port": i32::from(srv.port),
                "priority": i32::from(srv.priority),
                "weight": i32::from(srv.weight),
            }),
            RData::CNAME(n) => Bson::String(name(&n.0)),
            RData::NS(n) => Bson::String(name(&n.0)),
            RData::PTR(n) => Bson::String(name(&n.0)),
            RData::SOA(soa) => Bson::Document(doc! {
                "nsname": name(&soa.mname),
                "hostmaster": name(&soa.rname),
                "serial": i64::from(soa.serial),
                "refresh": soa.refresh,
                "retry": soa.retry,
                "expire": soa.expire,
                "minttl": i64::from(soa.minimum),
            }),
            RData::CAA(caa) => Bson::Document(doc! {
                "critical": if caa.issuer_critical { 128 } else { 0 },
                caa.tag.as_str(): String::from_utf8_lossy(&caa.value).into_owned(),
            }),
            _ => continue,
        };
        records.push(value);
    }
    if records.is_empty() {
        return Err(if hidden {
            refused(&syscall, &host, &crate::policy::refused(&host))
        } else {
            not_found(&syscall, &host)
        });
    }
    if rrtype == "SOA" {
        return Ok(Bson::Document(
            doc! {"records": records.into_iter().take(1).collect::<Vec<_>>()},
        ));
    }
    Ok(Bson::Document(doc! {"records": records}))
}

/// `reverse {ip}`: the names a PTR query gives for `ip` (an address functions may reach).
pub(crate) async fn reverse(policy: Arc<Policy>, spec: Document) -> Result<Bson, HostError> {
    let raw = spec.get_str("ip").unwrap_or_default().to_string();
    let ip: IpAddr = raw
        .parse()
        .map_err(|_| net_error("EINVAL", format!("getHostByAddr EINVAL {raw}")))?;
    if !policy.ip_allowed(ip) {
        return Err(refused("getHostByAddr", &raw, &crate::policy::refused(&raw)));
    }
    let answer = resolver()?
        .reverse_lookup(ip)
        .await
        .map_err(|_| not_found("getHostByAddr", &raw))?;
    let names: Vec<Bson> = answer
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::PTR(n) => Some(Bson::String(name(&n.0))),
            _ => None,
        })
        .collect();
    Ok(Bson::Document(doc! {"names": names}))
}
