//! `zlib(op, bytes, level, quality, maxOutput)`: the one-shot compression behind the `zlib`
//! module: gzip, zlib (deflate) and raw deflate with `flate2`, brotli with `brotli`. Errors
//! carry Node's codes (`Z_DATA_ERROR`, `Z_BUF_ERROR`, `ERR_BUFFER_TOO_LARGE`).

use std::io::{Read, Write};

use boa_engine::{Context, JsNativeError, JsResult, JsValue};
use flate2::{
    Compression,
    read::{DeflateDecoder, GzDecoder, MultiGzDecoder, ZlibDecoder},
    write::{DeflateEncoder, GzEncoder, ZlibEncoder},
};

use crate::globals::util::{arg, bytes_at, coded_error};

/// Reads a whole decoder, failing once the output passes `max` bytes.
fn drain(mut reader: impl Read, max: usize, context: &mut Context) -> JsResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(coded_error("Z_BUF_ERROR", "unexpected end of file", context));
            }
            Err(e) => return Err(coded_error("Z_DATA_ERROR", e.to_string(), context)),
        };
        if n == 0 {
            return Ok(out);
        }
        if out.len() + n > max {
            return Err(coded_error(
                "ERR_BUFFER_TOO_LARGE",
                format!("Cannot create a Buffer larger than {max} bytes"),
                context,
            ));
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

fn encode(mut writer: impl Write, input: &[u8]) -> std::io::Result<()> {
    writer.write_all(input)?;
    writer.flush()
}

/// See the module documentation.
pub fn zlib(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let op = arg(args, 0).to_string(context)?.to_std_string_escaped();
    let input = bytes_at(args, 1, context)?;
    let level = arg(args, 2).to_i32(context)?;
    let level = if (0..=9).contains(&level) {
        Compression::new(level as u32)
    } else {
        Compression::default()
    };
    let quality = arg(args, 3).to_u32(context)?.min(11);
    let max = arg(args, 4).to_number(context)?;
    let max = if max.is_finite() && max >= 0.0 {
        max as usize
    } else {
        usize::MAX
    };
    let fail = |e: std::io::Error, context: &mut Context| coded_error("Z_DATA_ERROR", e.to_string(), context);
    // zlib's own first check, with its message: the header's magic bytes.
    let bad_header = match op.as_str() {
        "gunzip" => input.len() >= 2 && input[..2] != [0x1f, 0x8b],
        "inflate" => {
            input.len() >= 2
                && (input[0] & 0x0f != 8 || (u16::from(input[0]) * 256 + u16::from(input[1])) % 31 != 0)
        }
        _ => false,
    };
    if bad_header {
        return Err(coded_error("Z_DATA_ERROR", "incorrect header check", context));
    }
    let out = match op.as_str() {
        "gzip" => {
            let mut w = GzEncoder::new(Vec::new(), level);
            encode(&mut w, &input).map_err(|e| fail(e, context))?;
            w.finish().map_err(|e| fail(e, context))?
        }
        "deflate" => {
            let mut w = ZlibEncoder::new(Vec::new(), level);
            encode(&mut w, &input).map_err(|e| fail(e, context))?;
            w.finish().map_err(|e| fail(e, context))?
        }
        "deflateRaw" => {
            let mut w = DeflateEncoder::new(Vec::new(), level);
            encode(&mut w, &input).map_err(|e| fail(e, context))?;
            w.finish().map_err(|e| fail(e, context))?
        }
        "gunzip" => drain(MultiGzDecoder::new(&input[..]), max, context)?,
        "inflate" => drain(ZlibDecoder::new(&input[..]), max, context)?,
        "inflateRaw" => drain(DeflateDecoder::new(&input[..]), max, context)?,
        "unzip" if input.starts_with(&[0x1f, 0x8b]) => drain(GzDecoder::new(&input[..]), max, context)?,
        "unzip" => drain(ZlibDecoder::new(&input[..]), max, context)?,
        "brotliCompress" => {
            let mut out = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: quality as i32,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &input[..], &mut out, &params).map_err(|e| fail(e, context))?;
            out
        }
        "brotliDecompress" => drain(brotli::Decompressor::new(&input[..], 64 * 1024), max, context)?,
        other => {
            return Err(JsNativeError::error()
                .with_message(format!("internal: zlib op {other}"))
                .into());
        }
    };
    Ok(crate::globals::util::uint8_array(&out, context)?.into())
}
