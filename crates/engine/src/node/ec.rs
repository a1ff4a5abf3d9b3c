//! Elliptic-curve keys and ECDSA signatures (P-256 and P-384, with the `p256`/`p384` crates)
//! behind `crypto`'s key objects, `createSign`/`createVerify` and `sign`/`verify`: what ES256
//! and ES384 JSON Web Tokens need (APNs provider tokens, App Store Connect, many OAuth flows).
//! Keys cross into JavaScript as normalized PEM (PKCS#8 private, SPKI public), as RSA keys do.
//! Signatures are DER, or `r ‖ s` with `dsaEncoding: "ieee-p1363"`, as Node's are; signing
//! is deterministic (RFC 6979), which verifies wherever Node's randomized signatures do.

use boa_engine::{Context, JsResult, JsValue};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};

use crate::{
    digests::with_digest,
    globals::util::{arg, bytes_at, error as err, text_at},
};

/// A parsed EC key: the curve's OpenSSL name, and the key as normalized PEM.
pub(super) struct Parsed {
    /// `prime256v1` or `secp384r1`, as Node's `asymmetricKeyDetails.namedCurve` says.
    pub curve: &'static str,
    /// PKCS#8 (private) or SPKI (public) PEM.
    pub pem: String,
}

/// The EC key in `pem` (PKCS#8, SEC1 `EC PRIVATE KEY` or SPKI), as `kind` (`private` or
/// `public`; a private key gives its public half); `None` when it is not a P-256 or P-384 key.
pub(super) fn parse(pem: &str, kind: &str) -> Option<Parsed> {
    macro_rules! curve {
        ($krate:ident, $name:literal) => {{
            let secret = $krate::SecretKey::from_pkcs8_pem(pem)
                .ok()
                .or_else(|| $krate::SecretKey::from_sec1_pem(pem).ok());
            let text = match (secret, kind) {
                (Some(s), "private") => s.to_pkcs8_pem(LineEnding::LF).ok().map(|p| p.to_string()),
                (Some(s), _) => s.public_key().to_public_key_pem(LineEnding::LF).ok(),
                (None, "public") => $krate::PublicKey::from_public_key_pem(pem)
                    .ok()
                    .and_then(|p| p.to_public_key_pem(LineEnding::LF).ok()),
                (None, _) => None,
            };
            if let Some(pem) = text {
                return Some(Parsed { curve: $name, pem });
            }
        }};
    }
    curve!(p256, "prime256v1");
    curve!(p384, "secp384r1");
    None
}

/// The key in `pem` (normalized by [`parse`]) exported as `type` (`pkcs8`, `sec1` or `spki`),
/// PEM text or DER bytes.
pub(super) fn export(pem: &str, kind: &str, format: &str) -> JsResult<(String, Vec<u8>)> {
    let fail = |e: &dyn std::fmt::Display| err(e.to_string());
    macro_rules! curve {
        ($krate:ident) => {{
            if kind == "private" {
                if let Ok(k) = $krate::SecretKey::from_pkcs8_pem(pem) {
                    return if format == "sec1" {
                        let text = k.to_sec1_pem(LineEnding::LF).map_err(|e| fail(&e))?.to_string();
                        let der = k.to_sec1_der().map_err(|e| fail(&e))?.to_vec();
                        Ok((text, der))
                    } else {
                        let text = k.to_pkcs8_pem(LineEnding::LF).map_err(|e| fail(&e))?.to_string();
                        let der = k.to_pkcs8_der().map_err(|e| fail(&e))?.as_bytes().to_vec();
                        Ok((text, der))
                    };
                }
            } else if let Ok(k) = $krate::PublicKey::from_public_key_pem(pem) {
                let text = k.to_public_key_pem(LineEnding::LF).map_err(|e| fail(&e))?;
                let der = k.to_public_key_der().map_err(|e| fail(&e))?.as_bytes().to_vec();
                return Ok((text, der));
            }
        }};
    }
    curve!(p256);
    curve!(p384);
    Err(err("not an EC key writ can export"))
}

/// `data` hashed with the digest named `alg`, which ECDSA then signs or checks.
fn prehash(alg: &str, data: &[u8]) -> JsResult<Vec<u8>> {
    Ok(with_digest!(alg, D => <D as sha2::Digest>::digest(data).to_vec(),
        other => return Err(err(format!("Invalid digest: {other}")))))
}

/// `ecSign(digest, pem, data, ieee)`: the ECDSA signature of `data` hashed with `digest`.
pub fn ec_sign(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    let pem = text_at(args, 1, context)?;
    let hash = prehash(&text_at(args, 0, context)?, &bytes_at(args, 2, context)?)?;
    let ieee = arg(args, 3).to_boolean();
    macro_rules! sign {
        ($krate:ident, $key:expr) => {{
            let s: $krate::ecdsa::Signature = $krate::ecdsa::SigningKey::from($key)
                .sign_prehash(&hash)
                .map_err(|e| err(e.to_string()))?;
            if ieee {
                s.to_bytes().to_vec()
            } else {
                s.to_der().as_bytes().to_vec()
            }
        }};
    }
    let signature: Vec<u8> = if let Ok(k) = p256::SecretKey::from_pkcs8_pem(&pem) {
        sign!(p256, k)
    } else if let Ok(k) = p384::SecretKey::from_pkcs8_pem(&pem) {
        sign!(p384, k)
    } else {
        return Err(err(
            "not an EC private key writ can sign with (P-256 and P-384 are supported)",
        ));
    };
    Ok(crate::globals::util::uint8_array(&signature, context)?.into())
}

/// `ecVerify(digest, pem, data, signature, ieee)`: whether the ECDSA signature holds.
pub fn ec_verify(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let pem = text_at(args, 1, context)?;
    let hash = prehash(&text_at(args, 0, context)?, &bytes_at(args, 2, context)?)?;
    let signature = bytes_at(args, 3, context)?;
    let ieee = arg(args, 4).to_boolean();
    macro_rules! check {
        ($krate:ident, $key:expr) => {{
            let sig = if ieee {
                $krate::ecdsa::Signature::from_slice(&signature).ok()
            } else {
                $krate::ecdsa::Signature::from_der(&signature).ok()
            };
            sig.is_some_and(|s| {
                $krate::ecdsa::VerifyingKey::from($key)
                    .verify_prehash(&hash, &s)
                    .is_ok()
            })
        }};
    }
    let ok = if let Ok(k) = p256::PublicKey::from_public_key_pem(&pem) {
        check!(p256, k)
    } else if let Ok(k) = p384::PublicKey::from_public_key_pem(&pem) {
        check!(p384, k)
    } else {
        return Err(err(
            "not an EC public key writ can verify with (P-256 and P-384 are supported)",
        ));
    };
    Ok(ok.into())
}

/// A new key on `curve` (`P-256`/`prime256v1`, `P-384`/`secp384r1`) as `[private PKCS#8 PEM,
/// public SPKI PEM]`.
pub(super) fn generate(curve: &str, rng: &mut rand::rngs::OsRng) -> boa_engine::JsResult<(String, String)> {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    macro_rules! pair {
        ($krate:ident) => {{
            let secret = $krate::SecretKey::random(rng);
            let private = secret
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| crate::globals::util::error(e.to_string()))?
                .to_string();
            let public = secret
                .public_key()
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| crate::globals::util::error(e.to_string()))?;
            Ok((private, public))
        }};
    }
    match curve {
        "P-256" | "prime256v1" | "secp256r1" => pair!(p256),
        "P-384" | "secp384r1" => pair!(p384),
        other => Err(crate::globals::util::error(format!(
            "crypto.generateKeyPair: the curve {other} is not supported by writ (P-256 and P-384 are)"
        ))),
    }
}

/// `ecdh(curve, privateKey, peerPublicKey)`: Diffie-Hellman on P-256 or P-384 for
/// `crypto.createECDH` (web push payloads): `[private key, public key uncompressed, public key
/// compressed, shared secret or null]`, with a new private key when `privateKey` is null.
pub fn ecdh(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let curve = text_at(args, 0, context)?;
    let optional = |i: usize, context: &mut Context| -> JsResult<Option<Vec<u8>>> {
        if arg(args, i).is_null_or_undefined() {
            Ok(None)
        } else {
            bytes_at(args, i, context).map(Some)
        }
    };
    let private = optional(1, context)?;
    let peer = optional(2, context)?;
    macro_rules! exchange {
        ($krate:ident) => {{
            use $krate::elliptic_curve::sec1::ToEncodedPoint;
            let secret = match &private {
                Some(bytes) => $krate::SecretKey::from_slice(bytes)
                    .map_err(|_| err("Private key is not valid for specified curve."))?,
                None => $krate::SecretKey::random(&mut rand::rngs::OsRng),
            };
            let public = secret.public_key();
            let shared = match &peer {
                Some(bytes) => {
                    let peer = $krate::PublicKey::from_sec1_bytes(bytes)
                        .map_err(|_| err("Public key is not valid for specified curve"))?;
                    let shared = $krate::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
                    Some(shared.raw_secret_bytes().to_vec())
                }
                None => None,
            };
            [
                Some(secret.to_bytes().to_vec()),
                Some(public.to_encoded_point(false).as_bytes().to_vec()),
                Some(public.to_encoded_point(true).as_bytes().to_vec()),
                shared,
            ]
        }};
    }
    let parts = match curve.as_str() {
        "prime256v1" | "P-256" | "secp256r1" => exchange!(p256),
        "secp384r1" | "P-384" => exchange!(p384),
        other => {
            return Err(err(format!(
                "crypto.createECDH: the curve {other} is not supported by writ (prime256v1 and secp384r1 are)"
            )));
        }
    };
    let mut values = Vec::with_capacity(parts.len());
    for part in parts {
        values.push(match part {
            Some(bytes) => crate::globals::util::uint8_array(&bytes, context)?.into(),
            None => JsValue::null(),
        });
    }
    Ok(boa_engine::object::builtins::JsArray::from_iter(values, context).into())
}
