//! TLS for function sockets (`tls.connect`, STARTTLS upgrades) with rustls: Mozilla's roots
//! (webpki-roots) unless the function gives its own `ca`, client certificates, ALPN, and
//! `rejectUnauthorized: false`, which still verifies and reports the outcome as Node does
//! (`authorized`, `authorizationError`) but lets the connection proceed.

use std::sync::{Arc, Mutex, OnceLock};

use bson::{Binary, Bson, Document, doc, spec::BinarySubtype};
use engine::host::HostError;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    client::{
        WebPkiServerVerifier,
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    },
    crypto::CryptoProvider,
    pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime, pem::PemObject},
};
use tokio::net::TcpStream;
use tokio_rustls::{TlsConnector, client::TlsStream};

use crate::net::{io_error, net_error};

/// What a function asked of a TLS session.
#[derive(Debug, Default, Clone)]
pub(crate) struct TlsSpec {
    servername: Option<String>,
    reject_unauthorized: bool,
    ca: Vec<String>,
    cert: Option<String>,
    key: Option<String>,
    alpn: Vec<String>,
}

impl TlsSpec {
    /// The spec `tls.js` sends (`{servername, rejectUnauthorized, ca, cert, key, alpn}`).
    pub(crate) fn parse(spec: Option<&Document>) -> Result<Self, HostError> {
        let empty = Document::new();
        let spec = spec.unwrap_or(&empty);
        let strings = |key: &str| -> Vec<String> {
            spec.get_array(key)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        Ok(Self {
            servername: spec
                .get_str("servername")
                .ok()
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            reject_unauthorized: spec.get_bool("rejectUnauthorized").unwrap_or(true),
            ca: strings("ca"),
            cert: spec.get_str("cert").ok().map(str::to_string),
            key: spec.get_str("key").ok().map(str::to_string),
            alpn: strings("alpn"),
        })
    }
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn mozilla_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            Arc::new(RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
        })
        .clone()
}

fn bad_option(message: String) -> HostError {
    net_error("ERR_INVALID_ARG_VALUE", message)
}

/// Verifies as webpki does and remembers why a certificate failed; with
/// `rejectUnauthorized: false` it lets the handshake go on anyway.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    reject: bool,
    failure: Mutex<Option<rustls::Error>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Ok(v) => Ok(v),
            Err(e) if self.reject => Err(e),
            Err(e) => {
                *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                Ok(ServerCertVerified::assertion())
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn config(spec: &TlsSpec) -> Result<(ClientConfig, Arc<Recording>), HostError> {
    let roots = if spec.ca.is_empty() {
        mozilla_roots()
    } else {
        // As in Node, a `ca` option replaces the default roots.
        let mut store = RootCertStore::empty();
        for pem in &spec.ca {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert =
                    cert.map_err(|e| bad_option(format!("tls: a 'ca' certificate cannot be read: {e}")))?;
                store
                    .add(cert)
                    .map_err(|e| bad_option(format!("tls: a 'ca' certificate is not usable: {e}")))?;
            }
        }
        if store.is_empty() {
            return Err(bad_option("tls: the 'ca' option holds no PEM certificate".into()));
        }
        Arc::new(store)
    };
    let inner = WebPkiServerVerifier::builder_with_provider(roots, provider())
        .build()
        .map_err(|e| bad_option(format!("tls: {e}")))?;
    let verifier = Arc::new(Recording {
        inner,
        reject: spec.reject_unauthorized,
        failure: Mutex::new(None),
    });
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad_option(format!("tls: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone());
    let mut config = match (&spec.cert, &spec.key) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad_option(format!("tls: the 'cert' option cannot be read: {e}")))?;
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
                .map_err(|e| bad_option(format!("tls: the 'key' option cannot be read: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| bad_option(format!("tls: the client certificate is not usable: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(bad_option("tls: 'cert' and 'key' must be given together".into())),
    };
    config.alpn_protocols = spec.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok((config, verifier))
}

/// Node's code for a certificate rustls refused.
fn certificate_code(e: &rustls::Error) -> &'static str {
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "CERT_HAS_EXPIRED",
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "CERT_NOT_YET_VALID"
            }
            CertificateError::UnknownIssuer => "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                "ERR_TLS_CERT_ALTNAME_INVALID"
            }
            CertificateError::Revoked => "CERT_REVOKED",
            CertificateError::BadSignature => "CERT_SIGNATURE_FAILURE",
            _ => "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        },
        _ => "EPROTO",
    }
}

/// Runs the TLS handshake over `tcp` for `host` (or the spec's `servername`) and answers the
/// session's facts: `authorized`, `authorizationError`, `protocol`, `cipher`, `alpn`, `cert`
/// (the peer's certificate, DER).
pub(crate) async fn handshake(
    tcp: TcpStream,
    host: &str,
    spec: &TlsSpec,
) -> Result<(TlsStream<TcpStream>, Document), HostError> {
    let (config, verifier) = config(spec)?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = spec.servername.as_deref().unwrap_or(bare);
    let server_name = ServerName::try_from(name.to_string())
        .map_err(|_| bad_option(format!("tls: '{name}' is not a valid server name")))?;
    let stream = TlsConnector::from(Arc::new(config))
        .connect(server_name, tcp)
        .await
        .map_err(|e| {
            let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
            match inner {
                Some(tls) => net_error(certificate_code(tls), format!("{tls}")),
                None => io_error(&e, "connect", name),
            }
        })?;
    let failure = verifier.failure.lock().unwrap_or_else(|p| p.into_inner()).take();
    let (_, session) = stream.get_ref();
    let mut facts = doc! {
        "authorized": failure.is_none(),
        "authorizationError": failure.as_ref().map_or(Bson::Null, |e| Bson::String(certificate_code(e).into())),
        "protocol": match session.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "unknown",
        },
        "alpn": session.alpn_protocol().map_or(Bson::Boolean(false), |p| Bson::String(String::from_utf8_lossy(p).into_owned())),
    };
    if let Some(suite) = session.negotiated_cipher_suite() {
        facts.insert("cipher", format!("{:?}", suite.suite()));
    }
    if let Some(cert) = session.peer_certificates().and_then(|c| c.first()) {
        facts.insert(
            "cert",
            Binary {
                subtype: BinarySubtype::Generic,
                bytes: cert.to_vec(),
            },
        );
    }
    Ok((stream, facts))
}
