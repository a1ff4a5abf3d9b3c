//! The incremental codecs behind `zlib`'s stream classes (`createGzip`, `createGunzip`, ...):
//! `zlibStream(op, level, quality)` gives an opaque handle; `zlibStreamWrite(handle, bytes,
//! mode)` feeds it (mode 0: write, 1: sync flush, 2: finish) and answers the output produced so
//! far. gzip, zlib and raw deflate with `flate2`'s writers, brotli with `brotli`'s; `unzip`
//! picks gzip or zlib from the first two bytes. A handle belongs to the object of the call that
//! made it and is dropped with it.

use std::{cell::RefCell, io::Write};

use boa_engine::{Context, Finalize, JsData, JsNativeError, JsObject, JsResult, JsValue, Trace};
use flate2::{
    Compression,
    write::{DeflateDecoder, DeflateEncoder, GzEncoder, MultiGzDecoder, ZlibDecoder, ZlibEncoder},
};

use crate::globals::util::{arg, bytes_at, coded_error};

#[derive(Clone, Copy)]
enum Start {
    Unzip,
    Gunzip,
    Inflate,
}

enum Codec {
    Gzip(GzEncoder<Vec<u8>>),
    Deflate(ZlibEncoder<Vec<u8>>),
    DeflateRaw(DeflateEncoder<Vec<u8>>),
    Gunzip(MultiGzDecoder<Vec<u8>>),
    Inflate(ZlibDecoder<Vec<u8>>),
    InflateRaw(DeflateDecoder<Vec<u8>>),
    /// A decoder that has not seen its first two bytes yet: `unzip` picks gzip or zlib from
    /// them, `gunzip` and `inflate` check them as zlib does ("incorrect header check").
    Pending(Start, Vec<u8>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Unbrotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Done,
}

/// The state of one zlib stream object.
#[derive(Trace, Finalize, JsData)]
pub struct ZStream(#[unsafe_ignore_trace] RefCell<Codec>);

macro_rules! each {
    ($codec:expr, $w:ident => $body:expr, $other:expr) => {
        match $codec {
            Codec::Gzip($w) => $body,
            Codec::Deflate($w) => $body,
            Codec::DeflateRaw($w) => $body,
            Codec::Gunzip($w) => $body,
            Codec::Inflate($w) => $body,
            Codec::InflateRaw($w) => $body,
            Codec::Brotli($w) => $body,
            Codec::Unbrotli($w) => $body,
            _ => $other,
        }
    };
}

/// `zlibStream(op, level, quality)`: a new codec handle.
pub fn open(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let op = arg(args, 0).to_string(context)?.to_std_string_escaped();
    let level = arg(args, 1).to_i32(context)?;
    let level = if (0..=9).contains(&level) {
        Compression::new(level as u32)
    } else {
        Compression::default()
    };
    let quality = arg(args, 2).to_u32(context)?.min(11);
    let codec = match op.as_str() {
        "gzip" => Codec::Gzip(GzEncoder::new(Vec::new(), level)),
        "deflate" => Codec::Deflate(ZlibEncoder::new(Vec::new(), level)),
        "deflateRaw" => Codec::DeflateRaw(DeflateEncoder::new(Vec::new(), level)),
        "gunzip" => Codec::Pending(Start::Gunzip, Vec::new()),
        "inflate" => Codec::Pending(Start::Inflate, Vec::new()),
        "inflateRaw" => Codec::InflateRaw(DeflateDecoder::new(Vec::new())),
        "unzip" => Codec::Pending(Start::Unzip, Vec::new()),
        "brotliCompress" => Codec::Brotli(Box::new(brotli::CompressorWriter::new(
            Vec::new(),
            64 * 1024,
            quality,
            22,
        ))),
        "brotliDecompress" => {
            Codec::Unbrotli(Box::new(brotli::DecompressorWriter::new(Vec::new(), 64 * 1024)))
        }
        other => {
            return Err(JsNativeError::error()
                .with_message(format!("internal: zlib stream {other}"))
                .into());
        }
    };
    let prototype = context.intrinsics().constructors().object().prototype();
    Ok(JsObject::from_proto_and_data(prototype, ZStream(RefCell::new(codec))).into())
}

/// Node's code for a failed decode: a bad header is zlib's "incorrect header check".
fn data_error(e: &std::io::Error, context: &mut Context) -> boa_engine::JsError {
    let message = e.to_string();
    if message.contains("header") {
        coded_error("Z_DATA_ERROR", "incorrect header check", context)
    } else {
        coded_error("Z_DATA_ERROR", message, context)
    }
}

/// `zlibStreamWrite(handle, bytes, mode)`: see the module documentation.
pub fn write(_: &JsValue, args: &[JsValue], context: &mut Context) -> JsResult<JsValue> {
    let handle = arg(args, 0)
        .as_object()
        .ok_or_else(|| JsNativeError::typ().with_message("internal: not a zlib stream"))?;
    let input = bytes_at(args, 1, context)?;
    let mode = arg(args, 2).to_i32(context)?;
    let Some(stream) = handle.downcast_ref::<ZStream>() else {
        return Err(JsNativeError::typ()
            .with_message("internal: not a zlib stream")
            .into());
    };
    let mut codec = stream.0.borrow_mut();
    if let Codec::Pending(start, pending) = &mut *codec {
        pending.extend_from_slice(&input);
        if pending.len() < 2 && mode != 2 {
            return Ok(crate::globals::util::uint8_array(&[], context)?.into());
        }
        let (start, seen) = (*start, std::mem::take(pending));
        let gzip = seen.starts_with(&[0x1f, 0x8b]);
        let zlib = seen.len() >= 2
            && seen[0] & 0x0f == 8
            && (u16::from(seen[0]) * 256 + u16::from(seen[1])) % 31 == 0;
        let next = match start {
            Start::Unzip | Start::Gunzip if gzip => Codec::Gunzip(MultiGzDecoder::new(Vec::new())),
            Start::Unzip | Start::Inflate if zlib => Codec::Inflate(ZlibDecoder::new(Vec::new())),
            _ if seen.len() < 2 => Codec::Done,
            _ => return Err(coded_error("Z_DATA_ERROR", "incorrect header check", context)),
        };
        *codec = next;
        each!(&mut *codec, w => w.write_all(&seen), Ok(())).map_err(|e| data_error(&e, context))?;
    } else {
        each!(&mut *codec, w => w.write_all(&input), Ok(())).map_err(|e| data_error(&e, context))?;
    }
    // A decoder's output waits in its buffer until the next write or flush: flush it, so what
    // arrived comes out now (encoders flush only when asked, which would cost compression).
    let decoder = matches!(
        &*codec,
        Codec::Gunzip(_) | Codec::Inflate(_) | Codec::InflateRaw(_) | Codec::Unbrotli(_)
    );
    if decoder && mode == 0 {
        each!(&mut *codec, w => w.flush(), Ok(())).map_err(|e| data_error(&e, context))?;
    }
    match mode {
        1 => each!(&mut *codec, w => w.flush(), Ok(())).map_err(|e| data_error(&e, context))?,
        2 => {
            let last = std::mem::replace(&mut *codec, Codec::Done);
            let out = match last {
                Codec::Gzip(w) => w.finish(),
                Codec::Deflate(w) => w.finish(),
                Codec::DeflateRaw(w) => w.finish(),
                Codec::Gunzip(w) => w.finish(),
                Codec::Inflate(w) => w.finish(),
                Codec::InflateRaw(w) => w.finish(),
                Codec::Brotli(w) => Ok(w.into_inner()),
                Codec::Unbrotli(w) => w.into_inner().map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "unexpected end of file")
                }),
                Codec::Pending(..) | Codec::Done => Ok(Vec::new()),
            };
            let out = out.map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => {
                    coded_error("Z_BUF_ERROR", "unexpected end of file", context)
                }
                _ => data_error(&e, context),
            })?;
            return Ok(crate::globals::util::uint8_array(&out, context)?.into());
        }
        _ => {}
    }
    let out = each!(&mut *codec, w => std::mem::take(w.get_mut()), Vec::new());
    Ok(crate::globals::util::uint8_array(&out, context)?.into())
}
