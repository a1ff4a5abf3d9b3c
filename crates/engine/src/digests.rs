//! The hash functions writ's crypto offers, by Node's names: one dispatch for
//! `utils.crypto`, Node's `crypto` (hashes, HMACs, pbkdf2) and RSA signatures.

/// Runs `$body` with `$d` the digest type named `$alg` (`md5`, `sha1`, `sha224`, `sha256`,
/// `sha384`, `sha512`), or `$other` for any other name.
macro_rules! with_digest {
    ($alg:expr, $d:ident => $body:expr, $unknown:pat => $other:expr) => {
        match $alg {
            "md5" => {
                type $d = md5::Md5;
                $body
            }
            "sha1" => {
                type $d = sha1::Sha1;
                $body
            }
            "sha224" => {
                type $d = sha2::Sha224;
                $body
            }
            "sha256" => {
                type $d = sha2::Sha256;
                $body
            }
            "sha384" => {
                type $d = sha2::Sha384;
                $body
            }
            "sha512" => {
                type $d = sha2::Sha512;
                $body
            }
            $unknown => $other,
        }
    };
}
pub(crate) use with_digest;

/// The `alg` digest of `input`; `None` for an unknown name.
pub fn digest(alg: &str, input: &[u8]) -> Option<Vec<u8>> {
    use sha2::Digest;
    with_digest!(alg, D => Some(D::digest(input).to_vec()), _ => None)
}

/// The `alg` HMAC of `input` with `key`; `None` for an unknown name.
pub fn hmac(alg: &str, key: &[u8], input: &[u8]) -> Option<Vec<u8>> {
    use hmac::{Hmac, Mac};
    with_digest!(alg, D => {
        // HMAC takes keys of any length, so this never fails.
        let mut m = <Hmac<D> as Mac>::new_from_slice(key).ok()?;
        m.update(input);
        Some(m.finalize().into_bytes().to_vec())
    }, _ => None)
}
