//! RSA keys and signatures behind `crypto`'s `createPrivateKey`/`createPublicKey`,
//! `createSign`/`createVerify` and `sign`/`verify`, with the `rsa` crate. Keys cross into
//! JavaScript as normalized PEM text (PKCS#8 for private keys, SPKI for public ones) that
//! each operation parses again. EC keys (P-256, P-384) are `ec.rs`'s; `keyParse` and
//! `keyExport` take both.

use boa_engine::{Context, JsResult, JsString, JsValue, object::builtins::JsArray};
use rsa::{
    RsaPrivateKey, RsaPublicKey,
    pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey},
    pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding},
    signature::{RandomizedSigner, SignatureEncoding, Verifier},
    traits::PublicKeyParts,
};

use crate::{
    digests::with_digest,
    globals::util::{arg, bytes_at, error as err, text_at},
};

fn private_key(pem: &str) -> JsResult<RsaPrivateKey> {
    if pem.contains("ENCRYPTED PRIVATE KEY") || pem.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(err(
            "encrypted private keys (passphrases) are not supported by writ yet",
        ));
    }
    RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| {
            if pem.contains("EC PRIVATE KEY") || pem.contains("OPENSSH") {
                err("only RSA keys and EC keys on P-256 and P-384 are supported by writ yet")
            } else {
                err("error:1E08010C:DECODER routines::unsupported (not an RSA private key in PEM)")
            }
        })
}

fn public_key(pem: &str) -> JsResult<RsaPublicKey> {
    if pem.contains("PRIVATE KEY") {
        return private_key(pem).map(|k| k.to_public_key());
    }
    RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
        .map_err(|_| err("error:1E08010C:DECODER routines::unsupported (not an RSA public key in PEM)"))
}

/// `keyParse(pem, kind)`: `[kind, "rsa", modulusLength, publicExponent, normalizedPem]`, or
/// `[kind, "ec", namedCurve, "", normalizedPem]`.
pub fn key_parse(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let pem = text_at(args, 0, context)?;
    let kind = text_at(args, 1, context)?;
    let rsa = if kind == "private" {
        private_key(&pem).and_then(|key| {
            let normal = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| err(e.to_string()))?;
            Ok((key.size() * 8, key.e().to_string(), normal.to_string()))
        })
    } else {
        public_key(&pem).and_then(|key| {
            let normal = key
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| err(e.to_string()))?;
            Ok((key.size() * 8, key.e().to_string(), normal))
        })
    };
    let parts: [JsValue; 5] = match (rsa, super::ec::parse(&pem, &kind)) {
        (Ok((bits, exponent, normalized)), _) => [
            JsString::from(kind.as_str()).into(),
            JsString::from("rsa").into(),
            JsValue::from(bits as f64),
            JsString::from(exponent.as_str()).into(),
            JsString::from(normalized.as_str()).into(),
        ],
        (Err(_), Some(ec)) => [
            JsString::from(kind.as_str()).into(),
            JsString::from("ec").into(),
            JsString::from(ec.curve).into(),
            JsString::from("").into(),
            JsString::from(ec.pem.as_str()).into(),
        ],
        (Err(e), None) => return Err(e),
    };
    Ok(JsArray::from_iter(parts, context).into())
}

/// `keyExport(pem, kind, type, der)`: the key as `pkcs1`/`pkcs8`/`spki` PEM text, or DER bytes.
pub fn key_export(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let pem = text_at(args, 0, context)?;
    let kind = text_at(args, 1, context)?;
    let kind_of = text_at(args, 2, context)?;
    let der = arg(args, 3).to_boolean();
    let fail = |e: &dyn std::fmt::Display| err(e.to_string());
    let ec = super::ec::parse(&pem, &kind).is_some();
    let (text, raw): (String, Vec<u8>) = match (kind.as_str(), kind_of.as_str()) {
        _ if ec => super::ec::export(&pem, &kind, &kind_of)?,
        ("private", "pkcs1") => {
            let k = private_key(&pem)?;
            let doc = k.to_pkcs1_der().map_err(|e| fail(&e))?;
            (
                k.to_pkcs1_pem(LineEnding::LF).map_err(|e| fail(&e))?.to_string(),
                doc.as_bytes().to_vec(),
            )
        }
        ("private", _) => {
            let k = private_key(&pem)?;
            let doc = k.to_pkcs8_der().map_err(|e| fail(&e))?;
            (
                k.to_pkcs8_pem(LineEnding::LF).map_err(|e| fail(&e))?.to_string(),
                doc.as_bytes().to_vec(),
            )
        }
        (_, "pkcs1") => {
            let k = public_key(&pem)?;
            let doc = k.to_pkcs1_der().map_err(|e| fail(&e))?;
            (
                k.to_pkcs1_pem(LineEnding::LF).map_err(|e| fail(&e))?,
                doc.as_bytes().to_vec(),
            )
        }
        _ => {
            let k = public_key(&pem)?;
            let doc = k.to_public_key_der().map_err(|e| fail(&e))?;
            (
                k.to_public_key_pem(LineEnding::LF).map_err(|e| fail(&e))?,
                doc.as_bytes().to_vec(),
            )
        }
    };
    if der {
        Ok(crate::globals::util::uint8_array(&raw, context)?.into())
    } else {
        Ok(JsString::from(text.as_str()).into())
    }
}

/// `rsaSign(digest, pem, data, pss, saltLength)`: the signature (PKCS#1 v1.5, or PSS with the
/// given salt length; -1 or -2 mean the digest's length and the maximum).
pub fn rsa_sign(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let alg = text_at(args, 0, context)?;
    let key = private_key(&text_at(args, 1, context)?)?;
    let data = bytes_at(args, 2, context)?;
    let pss = arg(args, 3).to_boolean();
    let salt = arg(args, 4).to_i32(context)?;
    let max_salt = |hash: usize| key.size().saturating_sub(hash + 2);
    let signature: Vec<u8> = with_digest!(alg.as_str(), D => {
        if pss {
            let hash = <D as sha2::Digest>::output_size();
            let salt = match salt {
                -1 => hash,
                s if s < 0 => max_salt(hash),
                s => s as usize,
            };
            rsa::pss::BlindedSigningKey::<D>::new_with_salt_len(key.clone(), salt)
                .try_sign_with_rng(&mut rand::thread_rng(), &data)
                .map_err(|e| err(e.to_string()))?
                .to_vec()
        } else {
            rsa::signature::Signer::try_sign(&rsa::pkcs1v15::SigningKey::<D>::new(key.clone()), &data)
                .map_err(|e| err(e.to_string()))?
                .to_vec()
        }
    }, other => return Err(err(format!("Invalid digest: {other} (writ signs with sha1, sha224, sha256, sha384, sha512)"))));
    Ok(crate::globals::util::uint8_array(&signature, context)?.into())
}

/// `rsaVerify(digest, pem, data, signature, pss, saltLength)`: whether the signature holds.
pub fn rsa_verify(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let alg = text_at(args, 0, context)?;
    let key = public_key(&text_at(args, 1, context)?)?;
    let data = bytes_at(args, 2, context)?;
    let signature = bytes_at(args, 3, context)?;
    let pss = arg(args, 4).to_boolean();
    let salt = arg(args, 5).to_i32(context)?;
    let ok = with_digest!(alg.as_str(), D => {
        if pss {
            let hash = <D as sha2::Digest>::output_size();
            let max = key.size().saturating_sub(hash + 2);
            let candidates: Vec<usize> = match salt {
                -1 => vec![hash],
                s if s < 0 => (0..=max).rev().collect(),
                s => vec![s as usize],
            };
            match rsa::pss::Signature::try_from(signature.as_slice()) {
                Ok(sig) => candidates.into_iter().any(|s| {
                    rsa::pss::VerifyingKey::<D>::new_with_salt_len(key.clone(), s).verify(&data, &sig).is_ok()
                }),
                Err(_) => false,
            }
        } else {
            match rsa::pkcs1v15::Signature::try_from(signature.as_slice()) {
                Ok(sig) => rsa::pkcs1v15::VerifyingKey::<D>::new(key.clone()).verify(&data, &sig).is_ok(),
                Err(_) => false,
            }
        }
    }, other => return Err(err(format!("Invalid digest: {other} (writ signs with sha1, sha224, sha256, sha384, sha512)"))));
    Ok(ok.into())
}

/// `keyGenerate(type, size, exponent)`: a new key pair as `[private PKCS#8 PEM, public SPKI PEM]`:
/// RSA of `size` bits with public exponent `exponent`, or EC on curve `size` (`P-256`, `P-384`
/// or their OpenSSL names).
pub fn key_generate(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let kind = text_at(args, 0, context)?;
    let mut rng = rand::rngs::OsRng;
    let (private, public) = match kind.as_str() {
        "rsa" => {
            let bits = arg(args, 1).to_u32(context)? as usize;
            let exponent = arg(args, 2).to_u32(context)?;
            let key = RsaPrivateKey::new_with_exp(&mut rng, bits, &rsa::BigUint::from(exponent))
                .map_err(|e| err(format!("cannot generate an RSA key: {e}")))?;
            let private = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| err(e.to_string()))?
                .to_string();
            let public = key
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| err(e.to_string()))?;
            (private, public)
        }
        "ec" => super::ec::generate(&text_at(args, 1, context)?, &mut rng)?,
        other => return Err(err(format!("internal: key type {other}"))),
    };
    let pair = [private, public].map(|p| JsValue::from(JsString::from(p.as_str())));
    Ok(JsArray::from_iter(pair, context).into())
}
