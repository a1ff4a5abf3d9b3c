//! `aes(mode, decrypt, key, iv, data, padding, aad, tag)`: one-shot AES behind `crypto`'s
//! `createCipheriv`/`createDecipheriv` (`cbc`, `ecb`, `ctr`, `gcm`, and `gcmctr`: GCM's
//! keystream alone, for the plaintext a decipher returns before its tag is checked). The
//! JavaScript side derives Node's incremental `update` output from one-shot results.

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::{AeadInPlace, AesGcm, KeyInit, aead::consts::U12};
use boa_engine::{Context, JsNativeError, JsResult, JsValue};
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, StreamCipher, block_padding};

use crate::globals::util::{arg, bytes_at, coded_error};

/// Why an AES operation failed, in Node's words.
enum Failure {
    BadDecrypt,
    WrongFinalBlock,
    Authenticate,
}

macro_rules! by_key {
    ($len:expr, $a:ident => $body:expr) => {
        match $len {
            16 => {
                type $a = Aes128;
                $body
            }
            24 => {
                type $a = Aes192;
                $body
            }
            _ => {
                type $a = Aes256;
                $body
            }
        }
    };
}

/// A block mode's encryption: PKCS#7 padding, or whole blocks only.
fn block_encrypt<C: BlockEncryptMut>(c: C, data: &[u8], padding: bool) -> Result<Vec<u8>, Failure> {
    use block_padding::{NoPadding, Pkcs7};
    if padding {
        Ok(c.encrypt_padded_vec_mut::<Pkcs7>(data))
    } else if !data.len().is_multiple_of(16) {
        Err(Failure::WrongFinalBlock)
    } else {
        Ok(c.encrypt_padded_vec_mut::<NoPadding>(data))
    }
}

/// A block mode's decryption, checking and removing PKCS#7 padding if asked to.
fn block_decrypt<C: BlockDecryptMut>(c: C, data: &[u8], padding: bool) -> Result<Vec<u8>, Failure> {
    use block_padding::{NoPadding, Pkcs7};
    if padding {
        c.decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(|_| Failure::BadDecrypt)
    } else {
        c.decrypt_padded_vec_mut::<NoPadding>(data)
            .map_err(|_| Failure::WrongFinalBlock)
    }
}

/// One AES operation's inputs.
struct Job<'a> {
    mode: &'a str,
    decrypt: bool,
    key: &'a [u8],
    iv: &'a [u8],
    data: &'a [u8],
    padding: bool,
    aad: &'a [u8],
    tag: &'a [u8],
}

fn run(job: &Job<'_>) -> Result<Vec<u8>, Failure> {
    let Job {
        mode,
        decrypt,
        key,
        iv,
        data,
        padding,
        aad,
        tag,
    } = *job;
    match (mode, decrypt) {
        ("cbc", false) => by_key!(key.len(), A => block_encrypt(
            cbc::Encryptor::<A>::new_from_slices(key, iv).map_err(|_| Failure::BadDecrypt)?,
            data,
            padding,
        )),
        ("cbc", true) => by_key!(key.len(), A => block_decrypt(
            cbc::Decryptor::<A>::new_from_slices(key, iv).map_err(|_| Failure::BadDecrypt)?,
            data,
            padding,
        )),
        ("ecb", false) => by_key!(key.len(), A => block_encrypt(
            ecb::Encryptor::<A>::new_from_slice(key).map_err(|_| Failure::BadDecrypt)?,
            data,
            padding,
        )),
        ("ecb", true) => by_key!(key.len(), A => block_decrypt(
            ecb::Decryptor::<A>::new_from_slice(key).map_err(|_| Failure::BadDecrypt)?,
            data,
            padding,
        )),
        ("ctr", _) => Ok(by_key!(key.len(), A => {
            let mut c = ctr::Ctr128BE::<A>::new_from_slices(key, iv).map_err(|_| Failure::BadDecrypt)?;
            let mut out = data.to_vec();
            c.apply_keystream(&mut out);
            out
        })),
        ("gcmctr", _) => Ok(by_key!(key.len(), A => {
            // GCM encrypts with CTR from inc32(J0), J0 = IV || 0x00000001 for a 96-bit IV.
            let mut counter = [0u8; 16];
            counter[..12].copy_from_slice(iv);
            counter[15] = 2;
            let mut c = ctr::Ctr32BE::<A>::new_from_slices(key, &counter).map_err(|_| Failure::BadDecrypt)?;
            let mut out = data.to_vec();
            c.apply_keystream(&mut out);
            out
        })),
        ("gcm", false) => by_key!(key.len(), A => {
            let c = AesGcm::<A, U12>::new_from_slice(key).map_err(|_| Failure::BadDecrypt)?;
            let mut out = data.to_vec();
            let tag = c
                .encrypt_in_place_detached(iv.into(), aad, &mut out)
                .map_err(|_| Failure::Authenticate)?;
            out.extend_from_slice(&tag);
            Ok(out)
        }),
        ("gcm", true) => by_key!(key.len(), A => {
            let c = AesGcm::<A, U12>::new_from_slice(key).map_err(|_| Failure::BadDecrypt)?;
            if tag.is_empty() || tag.len() > 16 {
                return Err(Failure::Authenticate);
            }
            let mut full = [0u8; 16];
            full[..tag.len()].copy_from_slice(tag);
            if tag.len() != 16 {
                return Err(Failure::Authenticate);
            }
            let mut out = data.to_vec();
            c.decrypt_in_place_detached(iv.into(), aad, &mut out, (&full).into())
                .map_err(|_| Failure::Authenticate)?;
            Ok(out)
        }),
        _ => Err(Failure::BadDecrypt),
    }
}

/// See the module documentation.
pub fn aes(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let mode = arg(args, 0).to_string(context)?.to_std_string_escaped();
    let decrypt = arg(args, 1).to_boolean();
    let key = bytes_at(args, 2, context)?;
    let iv = bytes_at(args, 3, context)?;
    let data = bytes_at(args, 4, context)?;
    let padding = arg(args, 5).to_boolean();
    let aad = bytes_at(args, 6, context)?;
    let tag = bytes_at(args, 7, context)?;
    if ![16, 24, 32].contains(&key.len()) {
        return Err(coded_error(
            "ERR_CRYPTO_INVALID_KEYLEN",
            "Invalid key length",
            context,
        ));
    }
    let iv_ok = match mode.as_str() {
        "ecb" => iv.is_empty(),
        "gcm" | "gcmctr" => iv.len() == 12,
        _ => iv.len() == 16,
    };
    if !iv_ok {
        return Err(coded_error(
            "ERR_CRYPTO_INVALID_IV",
            "Invalid initialization vector",
            context,
        ));
    }
    let job = Job {
        mode: &mode,
        decrypt,
        key: &key,
        iv: &iv,
        data: &data,
        padding,
        aad: &aad,
        tag: &tag,
    };
    match run(&job) {
        Ok(out) => Ok(crate::globals::util::uint8_array(&out, context)?.into()),
        Err(Failure::BadDecrypt) => Err(coded_error(
            "ERR_OSSL_BAD_DECRYPT",
            "error:1C800064:Provider routines::bad decrypt",
            context,
        )),
        Err(Failure::WrongFinalBlock) => Err(coded_error(
            "ERR_OSSL_WRONG_FINAL_BLOCK_LENGTH",
            "error:1C80006B:Provider routines::wrong final block length",
            context,
        )),
        Err(Failure::Authenticate) => Err(JsNativeError::error()
            .with_message("Unsupported state or unable to authenticate data")
            .into()),
    }
}
