//! Wire types of the agent-hub sync protocol (see `docs/sync.md`).
//!
//! One sync request carries automerge sync messages for many documents; the response carries
//! the hub's messages back, plus the documents the hub changed for this office since the
//! office's cursor (the return path of the dedup decision). Bodies use a small length-prefixed
//! binary framing (automerge messages are binary already; JSON + base64 would add a third),
//! and travel gzip-compressed over HTTPS. Every count and length is bounded and checked before
//! anything is allocated, so a hostile body cannot make the decoder allocate without bound.
//!
//! Blob transfer (photos, signatures) uses plain HTTP bodies and the JSON [`BlobStatus`].
//!
//! The full listing (an office restored from a backup learns every document of its kecamatan
//! the hub holds): a request of version [`PROTOCOL_VERSION_LISTING`] carries
//! [`SyncRequest::listing`], the hub answers in the [`EXT_LISTING`] extension with a
//! [`Listing`] page. A request without a listing is encoded as version [`PROTOCOL_VERSION`],
//! byte for byte what older agents send, so older hubs keep serving the offices that were not
//! restored.

use serde::{Deserialize, Serialize};

/// Magic bytes opening every sync body, followed by the protocol version.
pub const MAGIC: &[u8; 4] = b"RKS1";
/// Protocol version of every request without a listing, and of every response.
pub const PROTOCOL_VERSION: u8 = 1;
/// Most documents in one request or response.
pub const MAX_DOCS: usize = 1_000;
/// Largest automerge sync message for one document.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Largest (uncompressed) sync body.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Longest document id.
pub const MAX_ID_BYTES: usize = 64;
/// Longest refusal reason.
pub const MAX_REASON_BYTES: usize = 1_024;
/// Most extension sections in a response.
pub const MAX_EXTENSIONS: usize = 16;
/// Largest extension section.
pub const MAX_EXTENSION_BYTES: usize = 16 * 1024 * 1024;
/// Extension tag of the district index (see [`crate::index`] and `docs/district-index.md`): in a
/// request the agent's index version, in a response a bounded chunk of entries past it.
pub const EXT_DISTRICT_INDEX: u8 = 1;
/// Extension tag of the hub's answer to a listing request: one [`Listing`] page.
pub const EXT_LISTING: u8 = 2;
/// Extension tag of the population register (see [`crate::register`] and
/// `docs/population-register.md`): in a request the agent's register version, in a response a
/// bounded chunk of residents changed past it.
pub const EXT_POPULATION_REGISTER: u8 = 3;
/// Protocol version of a request that carries a listing request ([`SyncRequest::listing`]):
/// version 1 followed by the listing section. Hubs accept both versions.
pub const PROTOCOL_VERSION_LISTING: u8 = 2;
/// Most document ids in one [`Listing`] page.
pub const MAX_LISTING_IDS: usize = 1_000;
/// Chunk size agents use for blob uploads.
pub const BLOB_CHUNK_BYTES: usize = 64 * 1024;
/// Largest blob the hub accepts.
pub const MAX_BLOB_BYTES: u64 = 16 * 1024 * 1024;

/// HTTP path of the sync endpoint.
pub const SYNC_PATH: &str = "/v1/sync";
/// HTTP path prefix of the blob endpoint (`/v1/blobs/{sha256}`).
pub const BLOBS_PATH: &str = "/v1/blobs";
/// Last path segment of a blob download (`GET /v1/blobs/{sha256}/data?permohonan=ID&offset=N`):
/// the blob's bytes from `offset`, for an office whose application `permohonan` references it.
pub const BLOB_DATA_SEGMENT: &str = "data";

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The body does not start with [`MAGIC`].
    #[error("not a rekam sync body (bad magic)")]
    BadMagic,
    /// Unknown protocol version.
    #[error("unsupported protocol version {0}")]
    Version(u8),
    /// The body ended in the middle of a field.
    #[error("body truncated while reading {0}")]
    Truncated(&'static str),
    /// A count or length exceeds its bound.
    #[error("{field} too large: {value} > {max}")]
    TooLarge {
        /// Which field.
        field: &'static str,
        /// Value found.
        value: u64,
        /// Allowed maximum.
        max: u64,
    },
    /// A string is not UTF-8.
    #[error("{0} is not valid UTF-8")]
    Utf8(&'static str),
    /// Bytes after the end of the body.
    #[error("{0} trailing bytes after the body")]
    Trailing(usize),
    /// A value that does not parse as its domain type (e.g. a NIK in a register section).
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// An unknown tag.
    #[error("unknown {field} tag {tag}")]
    Tag {
        /// Which field.
        field: &'static str,
        /// The tag found.
        tag: u8,
    },
}

/// One document's part of a request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMessage {
    /// The permohonan (document) id.
    pub id: String,
    /// An encoded `automerge::sync::Message`, or `None` to ask the other side for its message
    /// without saying anything (e.g. a document the hub changed that the agent polls).
    pub message: Option<Vec<u8>>,
}

/// A change the hub refused, with its reason (see `rekam_shared::document::Refusal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The document id.
    pub id: String,
    /// Human-readable reason.
    pub reason: String,
}

/// Agent → hub.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncRequest {
    /// The agent's cursor in the hub's change feed for its kecamatan (0 at first).
    pub cursor: u64,
    /// Messages for documents.
    pub docs: Vec<DocMessage>,
    /// A page of the full listing of this kecamatan's documents at the hub: the ids sorted
    /// after this one (`""`: from the start). Sent only by an office restored from a backup;
    /// `Some` makes the body version [`PROTOCOL_VERSION_LISTING`].
    pub listing: Option<String>,
    /// Extension sections `(tag, bytes)`, e.g. [`EXT_DISTRICT_INDEX`] with the agent's index
    /// version. Encoded after the documents only when there is at least one, so a request
    /// without any is byte-for-byte what older agents send.
    pub extensions: Vec<(u8, Vec<u8>)>,
}

/// One page of the full listing (the [`EXT_LISTING`] extension of a response): ids of the
/// documents of the peer's kecamatan the hub holds, sorted, after the requested id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    /// Document ids, ascending.
    pub ids: Vec<String>,
    /// Whether more ids follow the last one (ask again after it).
    pub more: bool,
}

impl Listing {
    /// Encodes the extension's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_u64(&mut out, self.ids.len() as u64);
        for id in &self.ids {
            put_bytes(&mut out, id.as_bytes());
        }
        out.push(u8::from(self.more));
        out
    }

    /// Decodes the extension's bytes.
    pub fn decode(mut buf: &[u8]) -> Result<Self, WireError> {
        let r = &mut buf;
        let n = get_count(r, "listing count", MAX_LISTING_IDS)?;
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            ids.push(get_string(r, "listing id", MAX_ID_BYTES)?);
        }
        let more = match get_u8(r, "listing more")? {
            0 => false,
            1 => true,
            tag => {
                return Err(WireError::Tag {
                    field: "listing more",
                    tag,
                });
            }
        };
        end(r)?;
        Ok(Listing { ids, more })
    }
}

/// Hub → agent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncResponse {
    /// The new cursor: the agent stores it once it has applied `docs`.
    pub cursor: u64,
    /// Whether the feed has more documents past `cursor` (ask again).
    pub more: bool,
    /// The hub's messages: replies to the request's documents, then documents from the feed.
    pub docs: Vec<DocMessage>,
    /// Documents whose incoming changes were refused (not stored).
    pub refused: Vec<Refused>,
    /// Extension sections `(tag, bytes)`, e.g. [`EXT_DISTRICT_INDEX`]. A reader skips tags it
    /// does not know, so the hub can add sections without breaking older offices.
    pub extensions: Vec<(u8, Vec<u8>)>,
}

/// State of a blob upload at the hub (JSON body of `GET/PUT /v1/blobs/{sha256}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStatus {
    /// Bytes the hub holds of this blob (resume the upload from here).
    pub received: u64,
    /// Whether the blob is complete and verified against its hash.
    pub complete: bool,
}

/// Checks a lowercase hex SHA-256 string.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl SyncRequest {
    /// Encodes the request body (uncompressed).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = match &self.listing {
            None => header(),
            Some(_) => header_version(PROTOCOL_VERSION_LISTING),
        };
        put_u64(&mut out, self.cursor);
        put_docs(&mut out, &self.docs);
        if let Some(after) = &self.listing {
            put_bytes(&mut out, after.as_bytes());
        }
        if !self.extensions.is_empty() {
            put_extensions(&mut out, &self.extensions);
        }
        out
    }

    /// Decodes a request body (version [`PROTOCOL_VERSION`] or [`PROTOCOL_VERSION_LISTING`]).
    pub fn decode(mut buf: &[u8]) -> Result<Self, WireError> {
        check_len(buf.len())?;
        let r = &mut buf;
        let version = read_version(r, &[PROTOCOL_VERSION, PROTOCOL_VERSION_LISTING])?;
        let cursor = get_u64(r, "cursor")?;
        let docs = get_docs(r)?;
        let listing = if version == PROTOCOL_VERSION_LISTING {
            Some(get_string(r, "listing after", MAX_ID_BYTES)?)
        } else {
            None
        };
        let extensions = if r.is_empty() {
            Vec::new()
        } else {
            get_extensions(r)?
        };
        end(r)?;
        Ok(SyncRequest {
            cursor,
            docs,
            listing,
            extensions,
        })
    }

    /// Bytes of automerge payload in this request (for statistics).
    pub fn payload_bytes(&self) -> usize {
        self.docs
            .iter()
            .map(|d| d.message.as_ref().map_or(0, Vec::len))
            .sum()
    }
}

impl SyncResponse {
    /// Encodes the response body (uncompressed).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = header();
        put_u64(&mut out, self.cursor);
        out.push(u8::from(self.more));
        put_docs(&mut out, &self.docs);
        put_u64(&mut out, self.refused.len() as u64);
        for r in &self.refused {
            put_bytes(&mut out, r.id.as_bytes());
            put_bytes(&mut out, r.reason.as_bytes());
        }
        put_extensions(&mut out, &self.extensions);
        out
    }

    /// Decodes a response body.
    pub fn decode(mut buf: &[u8]) -> Result<Self, WireError> {
        check_len(buf.len())?;
        let r = &mut buf;
        read_header(r)?;
        let cursor = get_u64(r, "cursor")?;
        let more = match get_u8(r, "more")? {
            0 => false,
            1 => true,
            tag => return Err(WireError::Tag { field: "more", tag }),
        };
        let docs = get_docs(r)?;
        let n = get_count(r, "refused count", MAX_DOCS)?;
        let mut refused = Vec::with_capacity(n);
        for _ in 0..n {
            let id = get_string(r, "refused id", MAX_ID_BYTES)?;
            let reason = get_string(r, "refused reason", MAX_REASON_BYTES)?;
            refused.push(Refused { id, reason });
        }
        let extensions = get_extensions(r)?;
        end(r)?;
        Ok(SyncResponse {
            cursor,
            more,
            docs,
            refused,
            extensions,
        })
    }
}

/// The bytes of the first extension section tagged `tag`, if any.
pub fn extension(extensions: &[(u8, Vec<u8>)], tag: u8) -> Option<&[u8]> {
    extensions
        .iter()
        .find(|(t, _)| *t == tag)
        .map(|(_, b)| b.as_slice())
}

fn put_extensions(out: &mut Vec<u8>, extensions: &[(u8, Vec<u8>)]) {
    put_u64(out, extensions.len() as u64);
    for (tag, bytes) in extensions {
        out.push(*tag);
        put_bytes(out, bytes);
    }
}

fn get_extensions(r: &mut &[u8]) -> Result<Vec<(u8, Vec<u8>)>, WireError> {
    let n = get_count(r, "extension count", MAX_EXTENSIONS)?;
    let mut extensions = Vec::with_capacity(n);
    for _ in 0..n {
        let tag = get_u8(r, "extension tag")?;
        let bytes = get_bytes(r, "extension", MAX_EXTENSION_BYTES)?.to_vec();
        extensions.push((tag, bytes));
    }
    Ok(extensions)
}

fn check_len(len: usize) -> Result<(), WireError> {
    if len > MAX_BODY_BYTES {
        return Err(WireError::TooLarge {
            field: "body",
            value: len as u64,
            max: MAX_BODY_BYTES as u64,
        });
    }
    Ok(())
}

fn header() -> Vec<u8> {
    header_version(PROTOCOL_VERSION)
}

fn header_version(version: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(MAGIC);
    out.push(version);
    out
}

fn read_header(r: &mut &[u8]) -> Result<(), WireError> {
    read_version(r, &[PROTOCOL_VERSION]).map(|_| ())
}

/// Reads the magic and the version, which must be one of `accepted`.
fn read_version(r: &mut &[u8], accepted: &[u8]) -> Result<u8, WireError> {
    if r.len() < 5 || &r[..4] != MAGIC {
        return Err(WireError::BadMagic);
    }
    let v = r[4];
    *r = &r[5..];
    if !accepted.contains(&v) {
        return Err(WireError::Version(v));
    }
    Ok(v)
}

fn end(r: &mut &[u8]) -> Result<(), WireError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(WireError::Trailing(r.len()))
    }
}

pub(crate) fn put_u64(out: &mut Vec<u8>, mut v: u64) {
    // LEB128.
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_docs(out: &mut Vec<u8>, docs: &[DocMessage]) {
    put_u64(out, docs.len() as u64);
    for d in docs {
        put_bytes(out, d.id.as_bytes());
        match &d.message {
            None => out.push(0),
            Some(m) => {
                out.push(1);
                put_bytes(out, m);
            }
        }
    }
}

pub(crate) fn get_u8(r: &mut &[u8], field: &'static str) -> Result<u8, WireError> {
    let (&b, rest) = r.split_first().ok_or(WireError::Truncated(field))?;
    *r = rest;
    Ok(b)
}

pub(crate) fn get_u64(r: &mut &[u8], field: &'static str) -> Result<u64, WireError> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = get_u8(r, field)?;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(WireError::TooLarge {
        field,
        value: u64::MAX,
        max: u64::MAX,
    })
}

pub(crate) fn get_count(
    r: &mut &[u8],
    field: &'static str,
    max: usize,
) -> Result<usize, WireError> {
    let n = get_u64(r, field)?;
    if n > max as u64 {
        return Err(WireError::TooLarge {
            field,
            value: n,
            max: max as u64,
        });
    }
    Ok(n as usize)
}

pub(crate) fn get_bytes<'a>(
    r: &mut &'a [u8],
    field: &'static str,
    max: usize,
) -> Result<&'a [u8], WireError> {
    let n = get_count(r, field, max)?;
    if r.len() < n {
        return Err(WireError::Truncated(field));
    }
    let (b, rest) = r.split_at(n);
    *r = rest;
    Ok(b)
}

pub(crate) fn get_string(
    r: &mut &[u8],
    field: &'static str,
    max: usize,
) -> Result<String, WireError> {
    let b = get_bytes(r, field, max)?;
    String::from_utf8(b.to_vec()).map_err(|_| WireError::Utf8(field))
}

fn get_docs(r: &mut &[u8]) -> Result<Vec<DocMessage>, WireError> {
    let n = get_count(r, "document count", MAX_DOCS)?;
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        let id = get_string(r, "document id", MAX_ID_BYTES)?;
        let message = match get_u8(r, "message tag")? {
            0 => None,
            1 => Some(get_bytes(r, "message", MAX_MESSAGE_BYTES)?.to_vec()),
            tag => {
                return Err(WireError::Tag {
                    field: "message",
                    tag,
                });
            }
        };
        docs.push(DocMessage { id, message });
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SyncResponse {
        SyncResponse {
            cursor: 300,
            more: true,
            docs: vec![
                DocMessage {
                    id: "p-1".into(),
                    message: Some(vec![0x42; 1000]),
                },
                DocMessage {
                    id: "p-2".into(),
                    message: None,
                },
            ],
            refused: vec![Refused {
                id: "p-3".into(),
                reason: "field `keputusan` is not writable".into(),
            }],
            extensions: vec![(EXT_DISTRICT_INDEX, vec![1, 2, 3]), (200, vec![])],
        }
    }

    #[test]
    fn round_trips() {
        let resp = sample();
        assert_eq!(SyncResponse::decode(&resp.encode()).unwrap(), resp);
        let req = SyncRequest {
            cursor: u64::MAX,
            docs: resp.docs.clone(),
            listing: None,
            extensions: Vec::new(),
        };
        assert_eq!(SyncRequest::decode(&req.encode()).unwrap(), req);
        assert_eq!(req.payload_bytes(), 1000);
        // With an extension section: still decodes, and without one the body is exactly
        // the version-1 layout older hubs read (no trailing bytes).
        let with_ext = SyncRequest {
            extensions: vec![(EXT_DISTRICT_INDEX, vec![7])],
            ..req.clone()
        };
        let bytes = with_ext.encode();
        assert_eq!(SyncRequest::decode(&bytes).unwrap(), with_ext);
        assert_eq!(bytes.len(), req.encode().len() + 4);
        assert_eq!(
            extension(&with_ext.extensions, EXT_DISTRICT_INDEX),
            Some(&[7u8][..])
        );
        let empty = SyncRequest::default();
        assert_eq!(SyncRequest::decode(&empty.encode()).unwrap(), empty);
    }

    #[test]
    fn rejects_bad_bodies_with_a_reason() {
        assert_eq!(SyncRequest::decode(b"GET /"), Err(WireError::BadMagic));
        assert_eq!(
            SyncRequest::decode(b"RKS1\x07\x00\x00"),
            Err(WireError::Version(7))
        );
        // An empty extension list is accepted; a byte after it is trailing.
        let mut body = SyncRequest::default().encode();
        body.extend([0, 0]);
        assert_eq!(SyncRequest::decode(&body), Err(WireError::Trailing(1)));
        let full = sample().encode();
        for cut in 5..full.len() {
            assert!(SyncResponse::decode(&full[..cut]).is_err(), "cut at {cut}");
        }
        // A huge document count is refused before allocating.
        let mut body = header();
        put_u64(&mut body, 0);
        put_u64(&mut body, 1 << 40);
        assert!(matches!(
            SyncRequest::decode(&body),
            Err(WireError::TooLarge {
                field: "document count",
                ..
            })
        ));
        // A huge message length is refused.
        let mut body = header();
        put_u64(&mut body, 0);
        put_u64(&mut body, 1);
        put_bytes(&mut body, b"p1");
        body.push(1);
        put_u64(&mut body, u64::MAX >> 1);
        assert!(matches!(
            SyncRequest::decode(&body),
            Err(WireError::TooLarge { .. })
        ));
        // Non-UTF-8 id.
        let mut body = header();
        put_u64(&mut body, 0);
        put_u64(&mut body, 1);
        put_bytes(&mut body, &[0xff, 0xfe]);
        body.push(0);
        assert_eq!(
            SyncRequest::decode(&body),
            Err(WireError::Utf8("document id"))
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        // A small deterministic generator keeps this test dependency-free and fast.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let full = sample().encode();
        for i in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut body = full.clone();
            let pos = 5 + (x as usize) % (body.len() - 5);
            body[pos] ^= (x >> 32) as u8 | 1;
            let _ = SyncResponse::decode(&body);
            let _ = SyncRequest::decode(&body[..(i % body.len())]);
        }
    }

    #[test]
    fn a_listing_request_is_version_2_and_one_without_is_unchanged_version_1() {
        let plain = SyncRequest {
            cursor: 5,
            docs: sample().docs,
            listing: None,
            extensions: Vec::new(),
        };
        let v1 = plain.encode();
        assert_eq!(v1[4], PROTOCOL_VERSION, "what older hubs read");
        // Byte for byte the body of an agent that knows nothing of listings.
        let mut old = header();
        put_u64(&mut old, 5);
        put_docs(&mut old, &plain.docs);
        assert_eq!(v1, old);
        for after in ["", "130104-01JD"] {
            let req = SyncRequest {
                listing: Some(after.into()),
                ..plain.clone()
            };
            let body = req.encode();
            assert_eq!(body[4], PROTOCOL_VERSION_LISTING);
            assert_eq!(SyncRequest::decode(&body).unwrap(), req);
            // A listing and the district index's request section together.
            let both = SyncRequest {
                extensions: vec![(EXT_DISTRICT_INDEX, vec![7; 8])],
                ..req.clone()
            };
            assert_eq!(SyncRequest::decode(&both.encode()).unwrap(), both);
            for cut in 5..body.len() {
                assert!(SyncRequest::decode(&body[..cut]).is_err(), "cut at {cut}");
            }
        }
        // Responses stay version 1 only.
        let mut resp = sample().encode();
        resp[4] = PROTOCOL_VERSION_LISTING;
        assert_eq!(
            SyncResponse::decode(&resp),
            Err(WireError::Version(PROTOCOL_VERSION_LISTING))
        );
    }

    #[test]
    fn listing_pages_round_trip_and_are_bounded() {
        let page = Listing {
            ids: vec!["130104-a".into(), "130104-b".into()],
            more: true,
        };
        assert_eq!(Listing::decode(&page.encode()).unwrap(), page);
        assert_eq!(
            Listing::decode(&Listing::default().encode()).unwrap(),
            Listing::default()
        );
        let mut huge = Vec::new();
        put_u64(&mut huge, MAX_LISTING_IDS as u64 + 1);
        assert!(matches!(
            Listing::decode(&huge),
            Err(WireError::TooLarge {
                field: "listing count",
                ..
            })
        ));
        let mut bad = page.encode();
        *bad.last_mut().unwrap() = 7;
        assert!(matches!(Listing::decode(&bad), Err(WireError::Tag { .. })));
    }

    #[test]
    fn sha256_hex_check() {
        assert!(is_sha256_hex(&"0a".repeat(32)));
        assert!(!is_sha256_hex(&"0A".repeat(32)));
        assert!(!is_sha256_hex("abc"));
        assert!(!is_sha256_hex(&"../".repeat(21)));
    }
}
