//! The byte, crypto and URL work behind the built-in modules: each takes and returns plain
//! values and `Uint8Array`s, and is only reachable from the modules' own code.

use base64::{
    Engine as _,
    alphabet::{STANDARD, URL_SAFE},
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use boa_engine::{Context, JsResult, JsString, JsValue, object::builtins::JsArray};
use hmac::Hmac;
use rand::RngCore;

use crate::globals::util::{arg, bytes_at, error as err, text_at};

/// The largest byte count one call of `randomBytes` or `pbkdf2` produces.
const MAX_BYTES: usize = 64 * 1024 * 1024;

pub(super) fn u8_array(bytes: Vec<u8>, context: &mut Context) -> JsResult<JsValue> {
    Ok(crate::globals::util::uint8_array(&bytes, context)?.into())
}

/// `b64encode(bytes, url)`: base64 (padded) or base64url (unpadded), as Node writes them.
fn b64encode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let bytes = bytes_at(args, 0, context)?;
    let text = if arg(args, 1).to_boolean() {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    } else {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    Ok(JsString::from(text.as_str()).into())
}

/// `b64decode(text)`: Node's lenient decode of both alphabets: characters outside them are
/// skipped, decoding stops at the first `=`, and a trailing partial group is dropped.
fn b64decode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let text = arg(args, 0).to_string(context)?;
    let mut clean = String::with_capacity(text.len());
    for unit in text.iter() {
        match unit {
            0x3D => break,
            0x2B | 0x2D => clean.push('+'),
            0x2F | 0x5F => clean.push('/'),
            u if u < 0x80 && (u as u8).is_ascii_alphanumeric() => clean.push(u as u8 as char),
            _ => {}
        }
    }
    if clean.len() % 4 == 1 {
        clean.pop();
    }
    let config = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone);
    let _ = URL_SAFE;
    let bytes = GeneralPurpose::new(&STANDARD, config)
        .decode(clean.as_bytes())
        .unwrap_or_default();
    u8_array(bytes, context)
}

fn digest(alg: &str, input: &[u8]) -> JsResult<Vec<u8>> {
    crate::digests::digest(alg, input).ok_or_else(|| err(format!("Digest method not supported: {alg}")))
}

/// `hash(alg, bytes)`: the digest.
fn hash(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let alg = text_at(args, 0, context)?;
    let input = bytes_at(args, 1, context)?;
    u8_array(digest(&alg, &input)?, context)
}

fn mac(alg: &str, key: &[u8], input: &[u8]) -> JsResult<Vec<u8>> {
    crate::digests::hmac(alg, key, input).ok_or_else(|| err(format!("Invalid digest: {alg}")))
}

/// `hmac(alg, key, bytes)`: the HMAC.
fn hmac(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let alg = text_at(args, 0, context)?;
    let key = bytes_at(args, 1, context)?;
    let input = bytes_at(args, 2, context)?;
    u8_array(mac(&alg, &key, &input)?, context)
}

fn size_at(args: &[JsValue], i: usize, context: &mut Context) -> JsResult<usize> {
    let n = arg(args, i).to_number(context)?;
    if !(0.0..=MAX_BYTES as f64).contains(&n) || n.fract() != 0.0 {
        return Err(err(format!("size {n} is outside 0..={MAX_BYTES}")));
    }
    Ok(n as usize)
}

/// `randomBytes(n)`: n bytes from the operating system's generator.
fn random_bytes(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let n = size_at(args, 0, context)?;
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    u8_array(bytes, context)
}

/// `pbkdf2(alg, password, salt, iterations, keylen)`: the derived key.
fn pbkdf2(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let alg = text_at(args, 0, context)?;
    let password = bytes_at(args, 1, context)?;
    let salt = bytes_at(args, 2, context)?;
    let rounds = arg(args, 3).to_u32(context)?;
    let len = size_at(args, 4, context)?;
    let mut out = vec![0u8; len];
    crate::digests::with_digest!(alg.as_str(), D => {
        pbkdf2::pbkdf2::<Hmac<D>>(&password, &salt, rounds, &mut out).map_err(|e| err(e.to_string()))?
    }, other => return Err(err(format!("Invalid digest: {other}"))));
    u8_array(out, context)
}

/// `scrypt(password, salt, log2N, r, p, keylen)`: the derived key (`crypto.js` has checked the
/// parameters against Node's limits).
fn scrypt(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let password = bytes_at(args, 0, context)?;
    let salt = bytes_at(args, 1, context)?;
    let log_n = arg(args, 2).to_u32(context)?;
    let r = arg(args, 3).to_u32(context)?;
    let p = arg(args, 4).to_u32(context)?;
    let len = size_at(args, 5, context)?;
    let mut out = vec![0u8; len];
    if len > 0 {
        let params = scrypt::Params::new(
            u8::try_from(log_n).unwrap_or(u8::MAX),
            r,
            p,
            scrypt::Params::RECOMMENDED_LEN,
        )
        .map_err(|e| err(format!("Invalid scrypt params: {e}")))?;
        scrypt::scrypt(&password, &salt, &params, &mut out).map_err(|e| err(e.to_string()))?;
    }
    u8_array(out, context)
}

/// `hkdf(alg, ikm, salt, info, keylen)`: the derived key.
fn hkdf(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let alg = text_at(args, 0, context)?;
    let ikm = bytes_at(args, 1, context)?;
    let salt = bytes_at(args, 2, context)?;
    let info = bytes_at(args, 3, context)?;
    let len = size_at(args, 4, context)?;
    let mut out = vec![0u8; len];
    crate::digests::with_digest!(alg.as_str(), D => {
        hkdf::Hkdf::<D>::new(Some(&salt), &ikm).expand(&info, &mut out).map_err(|_| err("Invalid key length"))?
    }, other => return Err(err(format!("Invalid digest: {other}"))));
    u8_array(out, context)
}

/// The WHATWG components of a parsed URL, in the order `url.js` reads them.
fn components(url: &url::Url, context: &mut Context) -> JsValue {
    use url::quirks as q;
    let parts = [
        q::href(url),
        q::protocol(url),
        q::username(url),
        q::password(url),
        q::host(url),
        q::hostname(url),
        q::port(url),
        q::pathname(url),
        q::search(url),
        q::hash(url),
    ]
    .map(|s| JsValue::from(JsString::from(s)));
    let origin = q::origin(url);
    let mut all: Vec<JsValue> = parts.to_vec();
    all.push(JsString::from(origin.as_str()).into());
    JsArray::from_iter(all, context).into()
}

/// `urlParse(input, base)`: the components, or null when the input is not a valid URL.
fn url_parse(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let input = text_at(args, 0, context)?;
    let parsed = if arg(args, 1).is_undefined() {
        url::Url::parse(&input)
    } else {
        let base = text_at(args, 1, context)?;
        url::Url::parse(&base).and_then(|b| b.join(&input))
    };
    Ok(match parsed {
        Ok(u) => components(&u, context),
        Err(_) => JsValue::null(),
    })
}

/// `urlSet(href, field, value)`: the components after the WHATWG setter of `field` ran.
fn url_set(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    use url::quirks as q;
    let href = text_at(args, 0, context)?;
    let field = text_at(args, 1, context)?;
    let value = text_at(args, 2, context)?;
    let Ok(mut url) = url::Url::parse(&href) else {
        return Ok(JsValue::null());
    };
    let _ = match field.as_str() {
        "href" => match url::Url::parse(&value) {
            Ok(u) => {
                url = u;
                Ok(())
            }
            Err(_) => return Ok(JsValue::null()),
        },
        "protocol" => q::set_protocol(&mut url, &value),
        "username" => q::set_username(&mut url, &value),
        "password" => q::set_password(&mut url, &value),
        "host" => q::set_host(&mut url, &value),
        "hostname" => q::set_hostname(&mut url, &value),
        "port" => q::set_port(&mut url, &value),
        "pathname" => {
            q::set_pathname(&mut url, &value);
            Ok(())
        }
        "search" => {
            q::set_search(&mut url, &value);
            Ok(())
        }
        "hash" => {
            q::set_hash(&mut url, &value);
            Ok(())
        }
        other => return Err(err(format!("internal: unknown URL field {other}"))),
    };
    Ok(components(&url, context))
}

/// `formDecode(text)`: the name/value pairs of an `application/x-www-form-urlencoded` text.
fn form_decode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let text = arg(args, 0).to_string(context)?.to_std_string_lossy();
    let pairs: Vec<JsValue> = url::form_urlencoded::parse(text.as_bytes())
        .flat_map(|(k, v)| {
            [
                JsString::from(k.as_ref()).into(),
                JsString::from(v.as_ref()).into(),
            ]
        })
        .collect();
    Ok(JsArray::from_iter(pairs, context).into())
}

/// `formEncode(pairs)`: the `application/x-www-form-urlencoded` text of a flat name/value list.
fn form_encode(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let list = arg(args, 0);
    let list = list
        .as_object()
        .and_then(|o| JsArray::from_object(o).ok())
        .ok_or_else(|| err("internal: formEncode takes an array"))?;
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    let n = list.length(context)?;
    let mut i = 0;
    while i + 1 < n {
        let k = list.get(i, context)?.to_string(context)?.to_std_string_lossy();
        let v = list
            .get(i + 1, context)?
            .to_string(context)?
            .to_std_string_lossy();
        out.append_pair(&k, &v);
        i += 2;
    }
    Ok(JsString::from(out.finish().as_str()).into())
}

/// `domain(name, unicode)`: the domain in ASCII (punycode) or Unicode form; "" if invalid.
fn domain(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let name = text_at(args, 0, context)?;
    let out = if arg(args, 1).to_boolean() {
        let (text, result) = idna::domain_to_unicode(&name);
        if result.is_ok() { text } else { String::new() }
    } else {
        idna::domain_to_ascii(&name).unwrap_or_default()
    };
    Ok(JsString::from(out.as_str()).into())
}

/// `platform()`: `[os, arch, kernel release, kernel version]`: the OS and architecture writ was
/// built for and the kernel it runs on.
fn platform(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let (release, version) = kernel();
    let facts = [std::env::consts::OS, std::env::consts::ARCH, &release, &version]
        .map(|s| JsValue::from(JsString::from(s)));
    Ok(JsArray::from_iter(facts, context).into())
}

/// The kernel's release and version (`uname`), as `os.release()` and `os.version()` give them.
fn kernel() -> (String, String) {
    // SAFETY: `uname` fills the zeroed struct it is given; its fields are NUL-terminated.
    let mut name: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut name) } != 0 {
        return (String::new(), String::new());
    }
    let text = |field: &[libc::c_char]| {
        let bytes: Vec<u8> = field.iter().take_while(|c| **c != 0).map(|c| *c as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (text(&name.release), text(&name.version))
}

/// `now()`: nanoseconds on a monotonic clock (since the process started), for `hrtime`.
fn now(_: &JsValue, _: &[JsValue], _: &mut Context) -> JsResult<JsValue> {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    Ok(JsValue::from(start.elapsed().as_nanos() as f64))
}

/// `isClass(f)`: whether `f` is a class constructor written in JavaScript (Boa prints classes'
/// source as native code, so `util.inspect` cannot tell them from functions by their text).
fn is_class(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let Some(f) = arg(args, 0).as_object() else {
        return Ok(false.into());
    };
    if f.downcast_ref::<boa_engine::builtins::function::OrdinaryFunction>()
        .is_none()
    {
        return Ok(false.into());
    }
    let _ = context;
    let writable = f
        .borrow()
        .properties()
        .get(&boa_engine::js_string!("prototype").into())
        .and_then(|d| d.writable());
    Ok((writable == Some(false)).into())
}

/// `httpRequest(spec)`: `[promise, id]`: the outbound HTTP service's answer to `spec`, and the
/// operation's id for `httpAbandon`.
fn http_request(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let (promise, id) = crate::services::call_named(
        crate::host::HTTP_SERVICE,
        "fetch",
        "request",
        &arg(args, 0),
        context,
    )?;
    Ok(JsArray::from_iter([promise, JsValue::from(id as f64)], context).into())
}

/// `netOp(kind, spec, weak)`: `[promise, id]`: a network operation (a socket's `connect`,
/// `read`, `write`, ...; a DNS query) on the server's outbound service. A weak operation (a
/// socket waiting for data) does not keep the call open.
fn net_op(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let kind = arg(args, 0).to_string(context)?.to_std_string_escaped();
    let (promise, id) =
        crate::services::call_named(crate::host::HTTP_SERVICE, "net", &kind, &arg(args, 1), context)?;
    if arg(args, 2).to_boolean() {
        crate::state::weaken_op(context, id)?;
    }
    Ok(JsArray::from_iter([promise, JsValue::from(id as f64)], context).into())
}

/// `httpAbandon(id)`: stop waiting for an outbound request (an aborted `fetch`).
fn http_abandon(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let id = arg(args, 0).to_number(context)?;
    crate::state::abandon_op(context, id as u64)?;
    Ok(JsValue::undefined())
}

/// `callEnv()`: the running call's `process.env`, or undefined before the call made it.
fn call_env(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = crate::state::worker_host(context)?;
    let call = host.call.borrow();
    Ok(call.as_ref().and_then(|c| c.env_js.clone()).unwrap_or_default())
}

/// `setCallEnv(value)`: makes `value` the running call's `process.env`.
fn set_call_env(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = crate::state::worker_host(context)?;
    if let Some(call) = host.call.borrow_mut().as_mut() {
        call.env_js = Some(arg(args, 0));
    }
    Ok(JsValue::undefined())
}

/// `processEnv()`: the variables the operator gave functions, as `[name, value]` pairs.
fn process_env(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let host = crate::state::worker_host(context)?;
    let pairs: Vec<(String, String)> = host
        .call
        .borrow()
        .as_ref()
        .map(|c| {
            c.deployment
                .process_env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let pairs: Vec<JsValue> = pairs
        .into_iter()
        .map(|(k, v)| {
            JsArray::from_iter(
                [
                    JsString::from(k.as_str()).into(),
                    JsString::from(v.as_str()).into(),
                ],
                context,
            )
            .into()
        })
        .collect();
    Ok(JsArray::from_iter(pairs, context).into())
}

/// `never()`: the Node modules functions never get (stubs whose members say so).
fn never(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let names = super::NEVER_MODULES.map(|n| JsValue::from(JsString::from(n)));
    Ok(JsArray::from_iter(names, context).into())
}

/// `notYet()`: the Node modules `require` serves as stubs.
fn not_yet(_: &JsValue, _: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let names = super::NOT_YET_MODULES.map(|n| JsValue::from(JsString::from(n)));
    Ok(JsArray::from_iter(names, context).into())
}

/// `binaryBytes(binary)`: a BSON.Binary's bytes as a Uint8Array (an HTTP body, without a
/// detour through base64).
fn binary_bytes(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let bytes = crate::globals::bson_types::binary_bytes(&arg(args, 0), context)?;
    u8_array(bytes, context)
}

/// The natives object the built-in modules receive.
pub fn natives(context: &mut Context) -> JsResult<JsValue> {
    super::natives_object(
        &[
            ("b64encode", b64encode),
            ("b64decode", b64decode),
            ("utf8Encode", crate::globals::web::utf8_encode),
            ("utf8Decode", crate::globals::web::utf8_decode),
            ("hash", hash),
            ("hmac", hmac),
            ("randomBytes", random_bytes),
            ("pbkdf2", pbkdf2),
            ("scrypt", scrypt),
            ("hkdf", hkdf),
            ("urlParse", url_parse),
            ("urlSet", url_set),
            ("formDecode", form_decode),
            ("formEncode", form_encode),
            ("domain", domain),
            ("platform", platform),
            ("now", now),
            ("isClass", is_class),
            ("epoch", super::modules::epoch),
            ("source", super::source),
            ("freeze", super::freeze),
            ("httpRequest", http_request),
            ("httpAbandon", http_abandon),
            ("netOp", net_op),
            ("fsRead", super::modules::fs_read),
            ("fsStat", super::modules::fs_stat),
            ("fsList", super::modules::fs_list),
            ("binaryBytes", binary_bytes),
            ("zlib", super::zlib::zlib),
            ("zlibStream", super::zstream::open),
            ("zlibStreamWrite", super::zstream::write),
            ("notYet", not_yet),
            ("never", never),
            ("callEnv", call_env),
            ("setCallEnv", set_call_env),
            ("processEnv", process_env),
            ("keyParse", super::keys::key_parse),
            ("keyExport", super::keys::key_export),
            ("keyGenerate", super::keys::key_generate),
            ("rsaSign", super::keys::rsa_sign),
            ("rsaVerify", super::keys::rsa_verify),
            ("ecSign", super::ec::ec_sign),
            ("ecVerify", super::ec::ec_verify),
            ("ecdh", super::ec::ecdh),
            ("aes", super::cipher::aes),
        ],
        context,
    )
}
