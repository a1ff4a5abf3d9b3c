//! The messages between the engine and a worker process, and their framing.
//!
//! A frame is its length (four bytes, little-endian, counting themselves) and one message in
//! [`postcard`]'s compact form: no field names, integers as varints, so a call or an outcome
//! costs a few copies to write and read. Arguments, results and operation specs travel inside
//! it as raw BSON bytes ([`crate::raw_serde`]): no type is lost on the way. A deployment (sent
//! once per slot and deploy) travels as one BSON document.

use std::{collections::BTreeMap, sync::Arc};

use bson::{Bson, Document};
use serde::{Deserialize, Serialize, Serializer, de::DeserializeOwned, ser::SerializeStructVariant};

use crate::{
    api::{AppInfo, Deployment, FunctionSpec, Invocation, JsException, LogLine, Outcome, UserType},
    error::EngineError,
    host::{HostError, HostOp},
};

/// The largest frame either side accepts: MongoDB's own largest message (`maxMessageSizeBytes`,
/// 48,000,000 bytes), so any operation MongoDB could take fits, and the bound on what a hostile
/// worker can make the server allocate per message. A larger result is an `InvalidResult`.
pub(crate) const MAX_FRAME: usize = 48_000_000;

/// What the engine sends a worker.
#[derive(Serialize, Deserialize)]
pub(crate) enum ToWorker {
    /// The deployment the calls after this message run on (sent to a slot when it changes).
    Deploy {
        #[serde(with = "bson_blob")]
        deployment: Box<WireDeployment>,
    },
    /// Run a call.
    Call {
        seq: u64,
        call: Box<WireCall>,
        limit_ms: u64,
    },
    /// An operation of call `seq` finished.
    Result {
        seq: u64,
        op: u64,
        #[serde(with = "crate::raw_serde::result")]
        result: Result<Bson, HostError>,
    },
}

/// An [`Invocation`] as a worker receives it: the caller and the request stay encoded until the
/// call reads them ([`crate::state::Lazy`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct WireCall {
    /// See [`Invocation::function`].
    pub function: String,
    /// See [`Invocation::args`].
    #[serde(with = "crate::raw_serde::values")]
    pub args: Vec<Bson>,
    /// The caller's type, which decides the call's privilege.
    pub user_type: UserType,
    /// The [`User`](crate::User), encoded.
    pub user: serde_bytes::ByteBuf,
    /// See [`Invocation::run_as_system`].
    pub run_as_system: bool,
    /// The `Option<RequestInfo>`, encoded.
    pub request: serde_bytes::ByteBuf,
    /// See [`Invocation::endpoint`].
    pub endpoint: bool,
}

/// [`WireCall`] as the engine writes it, from an [`Invocation`].
#[derive(Serialize)]
struct WireCallRef<'a> {
    function: &'a str,
    #[serde(serialize_with = "values_ref")]
    args: &'a [Bson],
    user_type: UserType,
    user: serde_bytes::ByteBuf,
    run_as_system: bool,
    request: serde_bytes::ByteBuf,
    endpoint: bool,
}

fn values_ref<S: Serializer>(values: &&[Bson], s: S) -> Result<S::Ok, S::Error> {
    crate::raw_serde::values::serialize(values, s)
}

impl<'a> WireCallRef<'a> {
    fn of(invocation: &'a Invocation) -> Result<Self, postcard::Error> {
        Ok(Self {
            function: &invocation.function,
            args: &invocation.args,
            user_type: invocation.user.user_type,
            user: serde_bytes::ByteBuf::from(postcard::to_allocvec(&invocation.user)?),
            run_as_system: invocation.run_as_system,
            request: serde_bytes::ByteBuf::from(postcard::to_allocvec(&invocation.request)?),
            endpoint: invocation.endpoint,
        })
    }
}

/// [`ToWorker`]'s variants by their index, which is how postcard tells them apart: the
/// by-reference forms below must write the same index as the variant they stand for.
const CALL: u32 = 1;
/// See [`CALL`].
const RESULT: u32 = 2;

/// [`ToWorker::Call`] by reference, as the engine sends it: the same bytes, without moving
/// the invocation (a call is retried on another worker if its worker turns out to be gone).
pub(crate) struct CallRef<'a> {
    /// See [`ToWorker::Call`].
    pub seq: u64,
    /// See [`ToWorker::Call`].
    pub invocation: &'a Invocation,
    /// See [`ToWorker::Call`].
    pub limit_ms: u64,
}

impl Serialize for CallRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = s.serialize_struct_variant("ToWorker", CALL, "Call", 3)?;
        v.serialize_field("seq", &self.seq)?;
        let call = WireCallRef::of(self.invocation).map_err(serde::ser::Error::custom)?;
        v.serialize_field("call", &call)?;
        v.serialize_field("limit_ms", &self.limit_ms)?;
        v.end()
    }
}

/// [`ToWorker::Result`] as the engine sends it: the same bytes, from a value moved into its raw
/// form rather than copied as a document first (a result can be tens of megabytes).
struct ResultRef<'a> {
    seq: u64,
    op: u64,
    result: RawResult<'a>,
}

impl Serialize for ResultRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = s.serialize_struct_variant("ToWorker", RESULT, "Result", 3)?;
        v.serialize_field("seq", &self.seq)?;
        v.serialize_field("op", &self.op)?;
        v.serialize_field("result", &self.result)?;
        v.end()
    }
}

/// `raw_serde::result`'s form of a result, its value already raw.
type RawResult<'a> = crate::raw_serde::result::Wire<&'a serde_bytes::Bytes, &'a HostError>;

/// Encodes the frame of [`ToWorker::Result`] for operation `op` of call `seq`.
pub(crate) fn encode_result(
    seq: u64,
    op: u64,
    result: Result<Bson, HostError>,
) -> Result<Vec<u8>, WireError> {
    let raw = match result {
        Ok(value) => {
            let mut holder = bson::Document::new();
            holder.insert("v", value);
            let mut raw =
                bson::RawDocumentBuf::try_from(&holder).map_err(|e| WireError::Malformed(e.to_string()))?;
            drop(holder);
            if raw.as_bytes().len() > MAX_FRAME {
                return Err(WireError::TooLarge(raw.as_bytes().len()));
            }
            shrink(&mut raw);
            Ok(raw)
        }
        Err(e) => Err(e),
    };
    let result = match &raw {
        Ok(raw) => RawResult::Ok(serde_bytes::Bytes::new(raw.as_bytes())),
        Err(e) => RawResult::Err(e),
    };
    encode(&ResultRef { seq, op, result })
}

/// Gives back what a raw document's buffer reserved beyond its bytes, when that is much.
fn shrink(raw: &mut bson::RawDocumentBuf) {
    let bytes = std::mem::take(raw).into_bytes();
    if let Ok(fresh) = bson::RawDocumentBuf::from_bytes(shrunk(bytes)) {
        *raw = fresh;
    }
}

/// `bytes` without a reserve of over 1 MiB: a large frame may wait a while to be written.
fn shrunk(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.capacity() - bytes.len() > 1 << 20 {
        bytes.shrink_to_fit();
    }
    bytes
}

/// What a worker sends the engine.
#[derive(Serialize, Deserialize)]
pub(crate) enum FromWorker {
    /// The worker has built its context and waits for calls (its first message).
    Ready {},
    /// Call `seq` started an operation.
    Op { seq: u64, op: u64, host_op: HostOp },
    /// Call `seq` ended; with `recycle` the worker exits after this message.
    Done {
        seq: u64,
        outcome: Result<WireOutcome, EngineError>,
        recycle: bool,
    },
}

/// An [`Outcome`] on the wire, its value as raw BSON.
#[derive(Serialize, Deserialize)]
pub(crate) struct WireOutcome {
    #[serde(with = "crate::raw_serde::result")]
    result: Result<Bson, Box<JsException>>,
    logs: Vec<LogLine>,
    elapsed: std::time::Duration,
}

impl From<Outcome> for WireOutcome {
    fn from(o: Outcome) -> Self {
        Self {
            result: o.result.map_err(Box::new),
            logs: o.logs,
            elapsed: o.elapsed,
        }
    }
}

impl From<WireOutcome> for Outcome {
    fn from(o: WireOutcome) -> Self {
        Self {
            result: o.result.map_err(|e| *e),
            logs: o.logs,
            elapsed: o.elapsed,
        }
    }
}

/// A deployment without its host-side extensions (rules, auth): what a worker may see.
#[derive(Serialize, Deserialize)]
pub(crate) struct WireDeployment {
    functions: Vec<FunctionSpec>,
    values: BTreeMap<String, Bson>,
    environment_tag: String,
    environment_values: Document,
    app: AppInfo,
    modules_root: Option<String>,
    process_env: BTreeMap<String, String>,
    http_services: Vec<String>,
}

impl WireDeployment {
    /// The parts of `d` a worker needs.
    pub fn from(d: &Deployment) -> Self {
        Self {
            functions: d.functions.values().cloned().collect(),
            values: d.values.clone(),
            environment_tag: d.environment_tag.clone(),
            environment_values: d.environment_values.clone(),
            app: d.app.clone(),
            modules_root: d.modules_root.clone(),
            process_env: d.process_env.clone(),
            http_services: d.http_services.clone(),
        }
    }

    /// The deployment a worker runs calls on.
    pub fn into_deployment(self) -> Arc<Deployment> {
        Arc::new(Deployment {
            functions: self.functions.into_iter().map(|f| (f.name.clone(), f)).collect(),
            values: self.values,
            environment_tag: self.environment_tag,
            environment_values: self.environment_values,
            app: self.app,
            modules_root: self.modules_root,
            process_env: self.process_env,
            http_services: self.http_services,
            extensions: Default::default(),
        })
    }
}

/// Why a frame could not be written or read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WireError {
    /// Encoding or decoding failed.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The frame is larger than [`MAX_FRAME`].
    #[error("message of {0} bytes is larger than the limit")]
    TooLarge(usize),
}

/// Encodes `msg` as one frame.
pub(crate) fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, WireError> {
    let mut bytes =
        postcard::to_extend(msg, vec![0u8; 4]).map_err(|e| WireError::Malformed(e.to_string()))?;
    if bytes.len() > MAX_FRAME {
        return Err(WireError::TooLarge(bytes.len()));
    }
    let len = (bytes.len() as u32).to_le_bytes();
    bytes[..4].copy_from_slice(&len);
    Ok(shrunk(bytes))
}

/// Decodes one whole frame.
pub(crate) fn decode<T: DeserializeOwned>(frame: &[u8]) -> Result<T, WireError> {
    let body = frame
        .get(4..)
        .ok_or_else(|| WireError::Malformed("a frame without its length".into()))?;
    postcard::from_bytes(body).map_err(|e| WireError::Malformed(e.to_string()))
}

/// A value carried as the bytes of one BSON document (the deployment, whose parts the bson
/// crate's serde already describes).
mod bson_blob {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::DeserializeOwned};

    /// Writes `value` as one BSON document's bytes.
    pub fn serialize<S: Serializer, T: Serialize>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        let bytes = bson::serialize_to_vec(value).map_err(serde::ser::Error::custom)?;
        s.serialize_bytes(&bytes)
    }

    /// Reads what [`serialize`] wrote.
    pub fn deserialize<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
        let bytes = serde_bytes::ByteBuf::deserialize(d)?;
        bson::deserialize_from_slice(&bytes).map_err(serde::de::Error::custom)
    }
}

/// The length of the frame starting at `buf`, once its first four bytes are there.
pub(crate) fn frame_len(buf: &[u8]) -> Result<Option<usize>, WireError> {
    let Some(head) = buf.get(..4) else {
        return Ok(None);
    };
    let len = i32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    match usize::try_from(len) {
        Ok(n) if (5..=MAX_FRAME).contains(&n) => Ok(Some(n)),
        _ => Err(WireError::TooLarge(len.max(0) as usize)),
    }
}

#[cfg(test)]
mod tests {
    use bson::{Binary, Bson, Decimal128, Regex, Timestamp, doc, oid::ObjectId, spec::BinarySubtype};

    use std::time::Duration;

    use super::*;
    use crate::api::{Invocation, LogLevel, RequestInfo, User};

    fn every_type() -> Document {
        doc! {
            "double": 1.5, "negZero": -0.0, "nan": f64::NAN, "string": "é\u{0}x",
            "doc": { "nested": [1, { "a": Bson::Null }] }, "array": [Bson::Int32(1), Bson::Int64(1)],
            "binary": Binary { subtype: BinarySubtype::Uuid, bytes: vec![7; 16] },
            "undefined": Bson::Undefined, "oid": ObjectId::from_bytes([1; 12]), "bool": true,
            "date": bson::DateTime::from_millis(-1), "null": Bson::Null,
            "regex": Regex { pattern: "a+".try_into().unwrap(), options: "i".try_into().unwrap() },
            "js": Bson::JavaScriptCode("f()".into()), "int32": i32::MIN, "int64": i64::MAX,
            "ts": Timestamp { time: 1, increment: 2 }, "dec": Decimal128::from_bytes([3; 16]),
            "min": Bson::MinKey, "max": Bson::MaxKey, "$dollar": { "$oid": "not an id" },
        }
    }

    #[test]
    fn a_result_encoded_without_copies_decodes_as_a_result() {
        let value = Bson::Array(vec![
            Bson::Document(every_type()),
            Bson::String("x".repeat(3 << 20)),
        ]);
        let frame = encode_result(9, 4, Ok(value.clone())).unwrap();
        assert!(
            frame.capacity() - frame.len() <= 1 << 20,
            "the frame keeps no large reserve"
        );
        let Ok(ToWorker::Result {
            seq: 9,
            op: 4,
            result: Ok(back),
        }) = decode(&frame)
        else {
            panic!("not the result");
        };
        let bytes = |v: &Bson| bson::serialize_to_vec(&doc! { "v": v.clone() }).unwrap();
        assert_eq!(bytes(&back), bytes(&value));
        let error = HostError::new("refused");
        let frame = encode_result(9, 5, Err(error.clone())).unwrap();
        let Ok(ToWorker::Result {
            op: 5,
            result: Err(back),
            ..
        }) = decode(&frame)
        else {
            panic!("not the error");
        };
        assert_eq!(back, error);
        let huge = Bson::String("y".repeat(MAX_FRAME + 1));
        assert!(matches!(
            encode_result(9, 6, Ok(huge)),
            Err(WireError::TooLarge(_))
        ));
    }

    #[test]
    fn a_malformed_frame_is_an_error_not_a_panic() {
        // What a worker whose engine went wrong could send: unknown variants, lengths past
        // the frame's end, truncated values, raw BSON that is not BSON.
        let mut frames: Vec<Vec<u8>> = vec![
            vec![5, 0, 0, 0, 0xff],
            vec![9, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0x0f],
            vec![6, 0, 0, 0, 2, 1],
            vec![],
        ];
        let good = encode(&FromWorker::Op {
            seq: 1,
            op: 2,
            host_op: HostOp {
                service: "s".into(),
                kind: "findOne".into(),
                spec: bson::doc! { "a": 1 },
                system: false,
            },
        })
        .unwrap();
        for cut in 4..good.len() {
            frames.push(good[..cut].to_vec());
        }
        // The spec's element type (int32, before the key `a`) made one no BSON has.
        let mut corrupt = good.clone();
        let at = corrupt.windows(3).position(|w| w == [0x10, b'a', 0]).unwrap();
        corrupt[at] = 0x7a;
        frames.push(corrupt);
        for frame in frames {
            assert!(decode::<FromWorker>(&frame).is_err(), "{frame:?}");
        }
        assert!(decode::<FromWorker>(&good).is_ok());
    }

    #[test]
    fn a_call_and_its_outcome_keep_every_bson_type() {
        let mut user = User::normal("u1");
        user.custom_data = every_type();
        let args = vec![Bson::Document(every_type()), Bson::Int64(5), Bson::Double(5.0)];
        let mut invocation = Invocation::new("f", args.clone(), user.clone());
        let request = RequestInfo {
            remote_ip_address: "10.0.0.1".into(),
            request_headers: [("X-A".to_string(), vec!["1".to_string(), "2".to_string()])].into(),
            http_user_agent: Some("ua".into()),
            ..RequestInfo::default()
        };
        invocation.request = Some(request.clone());
        invocation.endpoint = true;
        let call = CallRef {
            seq: 7,
            invocation: &invocation,
            limit_ms: 10,
        };
        let Ok(ToWorker::Call {
            seq: 7,
            call,
            limit_ms: 10,
        }) = decode(&encode(&call).unwrap())
        else {
            panic!("not a call");
        };
        assert_eq!(
            (call.function.as_str(), call.user_type, call.endpoint),
            ("f", user.user_type, true)
        );
        let sent: User = postcard::from_bytes(&call.user).unwrap();
        let sent_request: Option<RequestInfo> = postcard::from_bytes(&call.request).unwrap();
        assert_eq!(sent_request, Some(request));
        // NaN is not equal to itself: compare the bytes.
        let bytes = |d: &Document| bson::serialize_to_vec(d).unwrap();
        assert_eq!(bytes(&sent.custom_data), bytes(&user.custom_data));
        assert_eq!(sent.id, user.id);
        assert_eq!(call.args.len(), 3);
        assert_eq!(call.args[1..], args[1..]);
        let outcome = Outcome {
            result: Ok(Bson::Array(vec![
                Bson::Int32(1),
                Bson::Decimal128(Decimal128::from_bytes([9; 16])),
            ])),
            logs: vec![LogLine {
                level: LogLevel::Warn,
                message: "w".into(),
            }],
            elapsed: Duration::from_micros(3),
        };
        let done = FromWorker::Done {
            seq: 7,
            outcome: Ok(outcome.clone().into()),
            recycle: false,
        };
        let FromWorker::Done {
            outcome: Ok(back), ..
        } = decode(&encode(&done).unwrap()).unwrap()
        else {
            panic!("not an outcome");
        };
        let back = Outcome::from(back);
        assert_eq!(back.result, outcome.result);
        assert_eq!(back.logs, outcome.logs);
        let thrown = Err(JsException {
            name: "TypeError".into(),
            message: "m".into(),
            stack: String::new(),
            code: Some(Bson::Int32(11000)),
        });
        let done = FromWorker::Done {
            seq: 8,
            outcome: Ok(Outcome {
                result: thrown.clone(),
                ..outcome
            }
            .into()),
            recycle: true,
        };
        let FromWorker::Done {
            outcome: Ok(back),
            recycle: true,
            ..
        } = decode(&encode(&done).unwrap()).unwrap()
        else {
            panic!("not an outcome");
        };
        assert_eq!(Outcome::from(back).result, thrown);
    }
}
