//! The `utils` global: `utils.crypto` and `utils.jwt`, on well-kept RustCrypto crates.

use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use boa_engine::{
    Context, JsError, JsNativeError, JsResult, JsString, JsValue, NativeFunction, class::Class, js_string,
    object::ObjectInitializer, property::Attribute,
};
use bson::Bson;

use super::{
    bson_types::JsBinary,
    util::{arg, string_arg},
};
use crate::convert::{NumberMode, bson_to_js_with, js_to_bson};

fn err(msg: impl Into<String>) -> JsError {
    JsNativeError::error().with_message(msg.into()).into()
}

/// Bytes of a string (UTF-8) or a `BSON.Binary`.
fn bytes_arg(value: &JsValue, what: &str) -> JsResult<Vec<u8>> {
    if let Some(s) = value.as_string() {
        return Ok(s.to_std_string_escaped().into_bytes());
    }
    if let Some(b) = value
        .as_object()
        .and_then(|o| o.downcast_ref::<JsBinary>().map(|b| b.bytes.clone()))
    {
        return Ok(b);
    }
    Err(JsNativeError::typ()
        .with_message(format!("{what} must be a string or a BSON.Binary"))
        .into())
}

fn binary(bytes: Vec<u8>, context: &mut Context) -> JsResult<JsValue> {
    JsBinary::from_data(JsBinary { subtype: 0, bytes }, context).map(Into::into)
}

fn hash(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let alg = string_arg(args, 0, "utils.crypto.hash: the hash function")?;
    let input = bytes_arg(&arg(args, 1), "utils.crypto.hash: the input")?;
    let out = match alg.as_str() {
        "sha1" | "sha256" | "sha512" | "md5" => crate::digests::digest(&alg, &input).unwrap_or_default(),
        other => {
            return Err(err(format!(
                "utils.crypto.hash: unsupported hash function '{other}' (use sha1, sha256, sha512 or md5)"
            )));
        }
    };
    binary(out, context)
}

fn hmac_bytes(alg: &str, key: &[u8], input: &[u8]) -> JsResult<Vec<u8>> {
    match alg {
        "sha1" | "sha256" | "sha512" => Ok(crate::digests::hmac(alg, key, input).unwrap_or_default()),
        other => Err(err(format!(
            "utils.crypto.hmac: unsupported hash function '{other}' (use sha1, sha256 or sha512)"
        ))),
    }
}

fn hmac(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    let input = bytes_arg(&arg(args, 0), "utils.crypto.hmac: the input")?;
    let secret = bytes_arg(&arg(args, 1), "utils.crypto.hmac: the secret")?;
    let alg = string_arg(args, 2, "utils.crypto.hmac: the hash function")?;
    let encoding = string_arg(args, 3, "utils.crypto.hmac: the output encoding")?;
    let mac = hmac_bytes(&alg, &secret, &input)?;
    let out = match encoding.as_str() {
        "hex" => hex::encode(mac),
        "base64" => STANDARD.encode(mac),
        other => {
            return Err(err(format!(
                "utils.crypto.hmac: unsupported encoding '{other}' (use hex or base64)"
            )));
        }
    };
    Ok(JsString::from(out).into())
}

fn rsa_scheme(args: &[JsValue], i: usize, what: &str) -> JsResult<bool> {
    match string_arg(args, i, what)?.as_str() {
        "pss" => Ok(true),
        "pkcs1v1.5" => Ok(false),
        other => Err(err(format!(
            "{what}: unsupported signature scheme '{other}' (use pss or pkcs1v1.5)"
        ))),
    }
}

fn sign(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    use rsa::{
        pkcs1::DecodeRsaPrivateKey,
        pkcs8::DecodePrivateKey,
        signature::{RandomizedSigner, SignatureEncoding, Signer},
    };
    let kind = string_arg(args, 0, "utils.crypto.sign: the encryption type")?;
    if kind != "rsa" {
        return Err(err(format!(
            "utils.crypto.sign: unsupported encryption type '{kind}' (use rsa)"
        )));
    }
    let message = bytes_arg(&arg(args, 1), "utils.crypto.sign: the message")?;
    let pem = string_arg(args, 2, "utils.crypto.sign: the private key")?;
    let pss = rsa_scheme(args, 3, "utils.crypto.sign")?;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(&pem))
        .map_err(|e| err(format!("utils.crypto.sign: invalid RSA private key: {e}")))?;
    let sig = if pss {
        let k = rsa::pss::BlindedSigningKey::<sha2::Sha256>::new(key);
        k.sign_with_rng(&mut rand::thread_rng(), &message).to_vec()
    } else {
        let k = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
        k.sign(&message).to_vec()
    };
    binary(sig, context)
}

fn verify(_: &JsValue, args: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    use rsa::{pkcs1::DecodeRsaPublicKey, pkcs8::DecodePublicKey, signature::Verifier};
    let kind = string_arg(args, 0, "utils.crypto.verify: the encryption type")?;
    if kind != "rsa" {
        return Err(err(format!(
            "utils.crypto.verify: unsupported encryption type '{kind}' (use rsa)"
        )));
    }
    let message = bytes_arg(&arg(args, 1), "utils.crypto.verify: the message")?;
    let pem = string_arg(args, 2, "utils.crypto.verify: the public key")?;
    let signature = bytes_arg(&arg(args, 3), "utils.crypto.verify: the signature")?;
    let pss = rsa_scheme(args, 4, "utils.crypto.verify")?;
    let key = rsa::RsaPublicKey::from_public_key_pem(&pem)
        .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(&pem))
        .map_err(|e| err(format!("utils.crypto.verify: invalid RSA public key: {e}")))?;
    let ok = if pss {
        let sig = rsa::pss::Signature::try_from(signature.as_slice()).map_err(|e| err(e.to_string()))?;
        rsa::pss::VerifyingKey::<sha2::Sha256>::new(key)
            .verify(&message, &sig)
            .is_ok()
    } else {
        let sig = rsa::pkcs1v15::Signature::try_from(signature.as_slice()).map_err(|e| err(e.to_string()))?;
        rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
            .verify(&message, &sig)
            .is_ok()
    };
    Ok(ok.into())
}

fn jwt_alg(name: &str) -> JsResult<jsonwebtoken::Algorithm> {
    use jsonwebtoken::Algorithm as A;
    Ok(match name {
        "HS256" => A::HS256,
        "HS384" => A::HS384,
        "HS512" => A::HS512,
        "RS256" => A::RS256,
        other => {
            return Err(err(format!(
                "utils.jwt: unsupported signing method '{other}' (use HS256, HS384, HS512 or RS256)"
            )));
        }
    })
}

fn to_json(
    value: &JsValue,
    what: &str,
    context: &mut Context,
) -> JsResult<serde_json::Map<String, serde_json::Value>> {
    match js_to_bson(value, context)?.into_relaxed_extjson() {
        serde_json::Value::Object(m) => Ok(m),
        _ => Err(JsNativeError::typ()
            .with_message(format!("{what} must be an object"))
            .into()),
    }
}

fn jwt_encode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let method = string_arg(args, 0, "utils.jwt.encode: the signing method")?;
    let alg = jwt_alg(&method)?;
    let payload = to_json(&arg(args, 1), "utils.jwt.encode: the payload", context)?;
    let secret = string_arg(args, 2, "utils.jwt.encode: the secret")?;
    let mut header = serde_json::Map::new();
    header.insert("alg".into(), method.clone().into());
    header.insert("typ".into(), "JWT".into());
    let custom = arg(args, 3);
    if !custom.is_null_or_undefined() {
        for (k, v) in to_json(&custom, "utils.jwt.encode: the custom header fields", context)? {
            header.insert(k, v);
        }
    }
    let key = if method == "RS256" {
        jsonwebtoken::EncodingKey::from_rsa_pem(secret.as_bytes())
            .map_err(|e| err(format!("utils.jwt.encode: invalid RSA private key: {e}")))?
    } else {
        jsonwebtoken::EncodingKey::from_secret(secret.as_bytes())
    };
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::Value::Object(header).to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::Value::Object(payload).to_string())
    );
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, alg)
        .map_err(|e| err(format!("utils.jwt.encode: {e}")))?;
    Ok(JsString::from(format!("{message}.{signature}")).into())
}

fn jwt_decode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let token = string_arg(args, 0, "utils.jwt.decode: the token")?;
    let key = string_arg(args, 1, "utils.jwt.decode: the key")?;
    let return_header = arg(args, 2).to_boolean();
    let accepted = arg(args, 3);
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err(err("utils.jwt.decode: a JWT has three dot-separated parts"));
    };
    let decode_part = |part: &str, what: &str| -> JsResult<serde_json::Value> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| err(format!("utils.jwt.decode: the {what} is not base64url")))?;
        serde_json::from_slice(&bytes).map_err(|_| err(format!("utils.jwt.decode: the {what} is not JSON")))
    };
    let header = decode_part(h, "header")?;
    let payload = decode_part(p, "payload")?;
    let method = header
        .get("alg")
        .and_then(|a| a.as_str())
        .unwrap_or_default()
        .to_string();
    let alg = jwt_alg(&method)?;
    let allowed: Vec<String> = if let Some(list) = accepted.as_object().filter(|o| o.is_array()) {
        let len = super::util::array_len(&list, context)?;
        (0..len)
            .map(|i| {
                list.get(i, context)
                    .and_then(|v| v.to_string(context))
                    .map(|s| s.to_std_string_escaped())
            })
            .collect::<JsResult<_>>()?
    } else if method == "RS256" || key.contains("-----BEGIN") {
        vec!["RS256".into()]
    } else {
        vec!["HS256".into(), "HS384".into(), "HS512".into()]
    };
    if !allowed.contains(&method) {
        return Err(err(format!(
            "utils.jwt.decode: signing method '{method}' is not accepted"
        )));
    }
    let decoding = if method == "RS256" {
        jsonwebtoken::DecodingKey::from_rsa_pem(key.as_bytes())
            .map_err(|e| err(format!("utils.jwt.decode: invalid RSA public key: {e}")))?
    } else {
        jsonwebtoken::DecodingKey::from_secret(key.as_bytes())
    };
    let ok = jsonwebtoken::crypto::verify(s, format!("{h}.{p}").as_bytes(), &decoding, alg).unwrap_or(false);
    if !ok {
        return Err(err("utils.jwt.decode: signature is invalid"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    if let Some(exp) = payload.get("exp").and_then(|v| v.as_f64())
        && now >= exp
    {
        return Err(err("utils.jwt.decode: token is expired"));
    }
    if let Some(nbf) = payload.get("nbf").and_then(|v| v.as_f64())
        && now < nbf
    {
        return Err(err("utils.jwt.decode: token is not valid yet"));
    }
    let to_js = |v: serde_json::Value, ctx: &mut Context| -> JsResult<JsValue> {
        let b = Bson::try_from(v).map_err(|e| err(format!("utils.jwt.decode: {e}")))?;
        bson_to_js_with(&b, NumberMode::Relaxed, ctx)
    };
    let payload_js = to_js(payload, context)?;
    if !return_header {
        return Ok(payload_js);
    }
    let header_js = to_js(header, context)?;
    Ok(ObjectInitializer::new(context)
        .property(js_string!("header"), header_js, Attribute::all())
        .property(js_string!("payload"), payload_js, Attribute::all())
        .build()
        .into())
}

/// The AES key of `utils.crypto.encrypt`/`decrypt`: 32 bytes (AES-256).
fn aes_key(args: &[JsValue], what: &str) -> JsResult<aes_gcm::Aes256Gcm> {
    use aes_gcm::KeyInit as _;
    let kind = string_arg(args, 0, &format!("utils.crypto.{what}: the encryption type"))?;
    if kind != "aes" {
        return Err(err(format!(
            "utils.crypto.{what}: unsupported encryption type '{kind}' (use aes)"
        )));
    }
    let key = bytes_arg(&arg(args, 2), &format!("utils.crypto.{what}: the key"))?;
    aes_gcm::Aes256Gcm::new_from_slice(&key).map_err(|_| {
        JsNativeError::typ()
            .with_message(format!(
                "utils.crypto.{what}: the key must be 32 bytes (AES-256), not {}",
                key.len()
            ))
            .into()
    })
}

/// `utils.crypto.encrypt("aes", message, key)`: AES-256-GCM, as App Services' documentation
/// example fixes it: a `BSON.Binary` of the 12-byte nonce, the ciphertext and the 16-byte tag.
fn encrypt(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    use aes_gcm::aead::Aead as _;
    let cipher = aes_key(args, "encrypt")?;
    let message = bytes_arg(&arg(args, 1), "utils.crypto.encrypt: the message")?;
    let mut nonce = [0u8; 12];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    let sealed = cipher
        .encrypt(aes_gcm::Nonce::from_slice(&nonce), message.as_slice())
        .map_err(|_| err("utils.crypto.encrypt: encryption failed"))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    binary(out, context)
}

/// `utils.crypto.decrypt("aes", encrypted, key)`: the message `encrypt` sealed, as a
/// `BSON.Binary` (`.text()` for a string).
fn decrypt(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    use aes_gcm::aead::Aead as _;
    let cipher = aes_key(args, "decrypt")?;
    let sealed = bytes_arg(&arg(args, 1), "utils.crypto.decrypt: the encrypted message")?;
    if sealed.len() < 12 + 16 {
        return Err(err("utils.crypto.decrypt: the encrypted message is too short"));
    }
    let (nonce, rest) = sealed.split_at(12);
    let message = cipher
        .decrypt(aes_gcm::Nonce::from_slice(nonce), rest)
        .map_err(|_| {
            err("utils.crypto.decrypt: the message was not encrypted with this key, or was altered")
        })?;
    binary(message, context)
}

/// Installs the `utils` global.
pub fn install(context: &mut Context) -> JsResult<()> {
    let crypto = ObjectInitializer::new(context)
        .function(NativeFunction::from_fn_ptr(hash), js_string!("hash"), 2)
        .function(NativeFunction::from_fn_ptr(hmac), js_string!("hmac"), 4)
        .function(NativeFunction::from_fn_ptr(sign), js_string!("sign"), 4)
        .function(NativeFunction::from_fn_ptr(verify), js_string!("verify"), 5)
        .function(NativeFunction::from_fn_ptr(encrypt), js_string!("encrypt"), 3)
        .function(NativeFunction::from_fn_ptr(decrypt), js_string!("decrypt"), 3)
        .build();
    let jwt = ObjectInitializer::new(context)
        .function(NativeFunction::from_fn_ptr(jwt_encode), js_string!("encode"), 4)
        .function(NativeFunction::from_fn_ptr(jwt_decode), js_string!("decode"), 4)
        .build();
    let utils = ObjectInitializer::new(context)
        .property(js_string!("crypto"), crypto, Attribute::READONLY)
        .property(js_string!("jwt"), jwt, Attribute::READONLY)
        .build();
    context.register_global_property(js_string!("utils"), utils, Attribute::READONLY)?;
    Ok(())
}
