//! The district index (indeks kabupaten): what every office's step-2 check needs to know of
//! every person recorded anywhere in the district, and its wire form (see
//! `docs/district-index.md`).
//!
//! One [`EntriIndeks`] per recorded application: a sequence number (the hub's index version
//! after that entry), the application id, and either its content ([`IsiIndeks`]: kecamatan,
//! date of recording, NIK, the decision if any, and the compact biometric key) or nothing (a
//! tombstone: the application left the index, e.g. its recording was corrected away).
//!
//! The compact key ([`kunci_dari`], [`kunci_ke_iris`]) keeps both iris codes with a reduced
//! shape ([`bentuk_ringkas`]): every other ring, the first filter, all angular columns (so the
//! rotation search still works), and one mask bit per (ring, column) valid only where both
//! phase bits were. For the open-iris shape that is 512 bytes of code + 256 of mask per eye.
//! The desk reduces its probe the same way ([`ringkas`]) before comparing.
//!
//! Wire form: the agent's request carries [`PermintaanIndeks`] (its version) in extension
//! section [`crate::wire::EXT_DISTRICT_INDEX`]; the hub answers with a [`BagianIndeks`] in the
//! response section of the same tag: at most [`MAX_ENTRI_PER_BAGIAN`] entries past that
//! version, the new version, the hub's head version and whether more follow.

use crate::bio::iris::{Eye, IrisShape, IrisTemplate};
use crate::wire::{
    WireError, get_bytes, get_count, get_string, get_u8, get_u64, put_bytes, put_u64,
};

/// Most entries in one response section (keeps one response near 200 KiB, about 7 s on a
/// 256 kbit/s link).
pub const MAX_ENTRI_PER_BAGIAN: usize = 5_000;
/// Longest compact key (two eyes of a shape up to the open-iris one, with a margin).
pub const MAX_KUNCI_BYTES: usize = 8 * 1024;
/// Longest short text field (kecamatan, date, NIK, decision).
const MAX_TEKS: usize = 64;

/// The content of an index entry (the person as the step-2 check needs them).
#[derive(Clone, PartialEq, Eq)]
pub struct IsiIndeks {
    /// Kecamatan code of the office that recorded the person.
    pub kecamatan: String,
    /// When the recording succeeded (RFC 3339, UTC).
    pub tanggal_rekam: String,
    /// NIK the person was recorded under.
    pub nik: String,
    /// The district's dedup decision (stored name, e.g. `unik`), if there is one.
    pub keputusan: Option<String>,
    /// The compact biometric key ([`kunci_dari`]).
    pub kunci: Vec<u8>,
}

// NIK and biometrics never in logs: Debug shows only where and when.
impl std::fmt::Debug for IsiIndeks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IsiIndeks")
            .field("kecamatan", &self.kecamatan)
            .field("tanggal_rekam", &self.tanggal_rekam)
            .field("keputusan", &self.keputusan)
            .finish_non_exhaustive()
    }
}

/// One entry of the index: its content, or `None` for a tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntriIndeks {
    /// The index version this entry brings the reader to.
    pub seq: u64,
    /// The application (permohonan) id.
    pub permohonan_id: String,
    /// The content; `None`: remove this application from the index.
    pub isi: Option<IsiIndeks>,
}

/// What the agent sends: the index version it holds (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermintaanIndeks {
    /// The highest sequence number the agent has stored.
    pub versi: u64,
}

/// What the hub answers: a bounded chunk of entries past the agent's version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BagianIndeks {
    /// The hub's current (highest) index version.
    pub head: u64,
    /// The version the agent holds once it has stored `entri`.
    pub versi: u64,
    /// Whether entries past `versi` remain (ask again).
    pub more: bool,
    /// Entries in sequence order.
    pub entri: Vec<EntriIndeks>,
}

impl PermintaanIndeks {
    /// Encodes the request section.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(10);
        put_u64(&mut out, self.versi);
        out
    }

    /// Decodes the request section.
    pub fn decode(mut buf: &[u8]) -> Result<Self, WireError> {
        let r = &mut buf;
        let versi = get_u64(r, "index version")?;
        end(r)?;
        Ok(PermintaanIndeks { versi })
    }
}

impl BagianIndeks {
    /// Encodes the response section.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.entri.len() * 1_700);
        put_u64(&mut out, self.head);
        put_u64(&mut out, self.versi);
        out.push(u8::from(self.more));
        put_u64(&mut out, self.entri.len() as u64);
        for e in &self.entri {
            put_u64(&mut out, e.seq);
            put_bytes(&mut out, e.permohonan_id.as_bytes());
            match &e.isi {
                None => out.push(0),
                Some(i) => {
                    out.push(1);
                    put_bytes(&mut out, i.kecamatan.as_bytes());
                    put_bytes(&mut out, i.tanggal_rekam.as_bytes());
                    put_bytes(&mut out, i.nik.as_bytes());
                    put_bytes(&mut out, i.keputusan.as_deref().unwrap_or("").as_bytes());
                    put_bytes(&mut out, &i.kunci);
                }
            }
        }
        out
    }

    /// Decodes the response section (every count and length bounded before allocation).
    pub fn decode(mut buf: &[u8]) -> Result<Self, WireError> {
        let r = &mut buf;
        let head = get_u64(r, "index head")?;
        let versi = get_u64(r, "index version")?;
        let more = match get_u8(r, "index more")? {
            0 => false,
            1 => true,
            tag => {
                return Err(WireError::Tag {
                    field: "index more",
                    tag,
                });
            }
        };
        let n = get_count(r, "index entry count", MAX_ENTRI_PER_BAGIAN)?;
        let mut entri = Vec::with_capacity(n);
        for _ in 0..n {
            let seq = get_u64(r, "index seq")?;
            let permohonan_id = get_string(r, "index id", crate::wire::MAX_ID_BYTES)?;
            let isi = match get_u8(r, "index entry tag")? {
                0 => None,
                1 => {
                    let kecamatan = get_string(r, "index kecamatan", MAX_TEKS)?;
                    let tanggal_rekam = get_string(r, "index date", MAX_TEKS)?;
                    let nik = get_string(r, "index nik", MAX_TEKS)?;
                    let keputusan = get_string(r, "index decision", MAX_TEKS)?;
                    let kunci = get_bytes(r, "index key", MAX_KUNCI_BYTES)?.to_vec();
                    Some(IsiIndeks {
                        kecamatan,
                        tanggal_rekam,
                        nik,
                        keputusan: (!keputusan.is_empty()).then_some(keputusan),
                        kunci,
                    })
                }
                tag => {
                    return Err(WireError::Tag {
                        field: "index entry",
                        tag,
                    });
                }
            };
            entri.push(EntriIndeks {
                seq,
                permohonan_id,
                isi,
            });
        }
        end(r)?;
        Ok(BagianIndeks {
            head,
            versi,
            more,
            entri,
        })
    }
}

fn end(r: &mut &[u8]) -> Result<(), WireError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(WireError::Trailing(r.len()))
    }
}

/// The reduced shape of the compact key for codes of `full`: every other ring, one filter.
pub fn bentuk_ringkas(full: IrisShape) -> IrisShape {
    IrisShape {
        rows: full.rows.div_ceil(2),
        cols: full.cols,
        filters: 1,
        phases: full.phases,
    }
}

/// Reduces a full iris template to the compact key's shape: rings 0, 2, 4..., filter 0, and
/// a bit valid only where every phase bit of its (ring, column) was valid (so the mask packs
/// to one bit per ring and column). Desk probes go through the same reduction.
pub fn ringkas(t: &IrisTemplate) -> IrisTemplate {
    let full = t.shape();
    let s = bentuk_ringkas(full);
    let mut code = Vec::with_capacity(s.bits());
    let mut mask = Vec::with_capacity(s.bits());
    for r in 0..s.rows {
        for c in 0..s.cols {
            let valid = (0..s.phases).all(|p| t.mask_bit(2 * r, c, 0, p));
            for p in 0..s.phases {
                code.push(t.code_bit(2 * r, c, 0, p));
                mask.push(valid);
            }
        }
    }
    // The lengths match the shape by construction.
    IrisTemplate::from_bits(s, &code, &mask).unwrap_or_else(|_| unreachable!())
}

fn pack(bits: impl Iterator<Item = bool>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, b) in bits.enumerate() {
        if i % 8 == 0 {
            out.push(0);
        }
        if b && let Some(last) = out.last_mut() {
            *last |= 0x80 >> (i % 8);
        }
    }
    out
}

fn bit(bytes: &[u8], i: usize) -> bool {
    bytes[i / 8] & (0x80 >> (i % 8)) != 0
}

/// Bytes of one eye in the key for codes of `full`: reduced code, then one mask bit per
/// (ring, column).
fn bytes_per_eye(full: IrisShape) -> (usize, usize) {
    let s = bentuk_ringkas(full);
    (s.bits().div_ceil(8), (s.rows * s.cols).div_ceil(8))
}

/// The compact key of a person's irises (either may be missing): one flag byte (bit 0 right,
/// bit 1 left), then per present eye the reduced code and its per-(ring, column) mask.
pub fn kunci_dari(kanan: Option<&IrisTemplate>, kiri: Option<&IrisTemplate>) -> Vec<u8> {
    let mut out = vec![u8::from(kanan.is_some()) | (u8::from(kiri.is_some()) << 1)];
    for t in [kanan, kiri].into_iter().flatten() {
        let r = ringkas(t);
        let s = r.shape();
        out.extend(pack(
            (0..s.rows)
                .flat_map(|row| {
                    (0..s.cols).flat_map(move |c| (0..s.phases).map(move |p| (row, c, p)))
                })
                .map(|(row, c, p)| r.code_bit(row, c, 0, p)),
        ));
        out.extend(pack(
            (0..s.rows)
                .flat_map(|row| (0..s.cols).map(move |c| (row, c)))
                .map(|(row, c)| r.mask_bit(row, c, 0, 0)),
        ));
    }
    out
}

/// Why a compact key does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KunciError {
    /// Empty, or unknown flag bits.
    #[error("compact key has a bad flag byte")]
    Flag,
    /// Length does not match the flags and the shape.
    #[error("compact key is {actual} bytes, expected {expected}")]
    Length {
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        actual: usize,
    },
}

/// Reads a compact key of codes captured in shape `full` back into reduced templates
/// `(right, left)`, ready for the gallery.
pub fn kunci_ke_iris(
    full: IrisShape,
    kunci: &[u8],
) -> Result<(Option<IrisTemplate>, Option<IrisTemplate>), KunciError> {
    let (&flag, mut rest) = kunci.split_first().ok_or(KunciError::Flag)?;
    if flag & !3 != 0 || flag == 0 {
        return Err(KunciError::Flag);
    }
    let (code_len, mask_len) = bytes_per_eye(full);
    let eyes = (flag & 1) as usize + (flag >> 1 & 1) as usize;
    let expected = 1 + eyes * (code_len + mask_len);
    if kunci.len() != expected {
        return Err(KunciError::Length {
            expected,
            actual: kunci.len(),
        });
    }
    let s = bentuk_ringkas(full);
    let mut out = [None, None];
    for (eye, present) in [(Eye::Right, flag & 1 != 0), (Eye::Left, flag & 2 != 0)] {
        if !present {
            continue;
        }
        let (code, tail) = rest.split_at(code_len);
        let (mask, tail) = tail.split_at(mask_len);
        rest = tail;
        let mut cb = Vec::with_capacity(s.bits());
        let mut mb = Vec::with_capacity(s.bits());
        for i in 0..s.bits() {
            cb.push(bit(code, i));
            mb.push(bit(mask, i / s.phases));
        }
        out[eye as usize] = IrisTemplate::from_bits(s, &cb, &mb).ok();
    }
    let [kanan, kiri] = out;
    Ok((kanan, kiri))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bio::synth::IrisSynth;

    #[test]
    fn key_round_trips_and_stays_small() {
        let shape = IrisShape::OPEN_IRIS;
        let g = IrisSynth::new(shape);
        let r = g.capture(7, Eye::Right, 0);
        let l = g.capture(7, Eye::Left, 0);
        let k = kunci_dari(Some(&r), Some(&l));
        assert_eq!(k.len(), 1 + 2 * (512 + 256));
        let (kr, kl) = kunci_ke_iris(shape, &k).unwrap();
        assert_eq!(kr.unwrap(), ringkas(&r));
        assert_eq!(kl.unwrap(), ringkas(&l));
        let only_left = kunci_dari(None, Some(&l));
        let (a, b) = kunci_ke_iris(shape, &only_left).unwrap();
        assert!(a.is_none());
        assert_eq!(b.unwrap(), ringkas(&l));
        assert_eq!(
            kunci_ke_iris(shape, &k[..k.len() - 1]),
            Err(KunciError::Length {
                expected: k.len(),
                actual: k.len() - 1
            })
        );
        assert_eq!(kunci_ke_iris(shape, &[4]), Err(KunciError::Flag));
    }

    #[test]
    fn reduced_codes_still_separate_persons() {
        use crate::bio::iris::{HdOptions, hamming_distance_with};
        let shape = IrisShape::OPEN_IRIS;
        let g = IrisSynth::new(shape);
        let a0 = ringkas(&g.capture(1, Eye::Right, 0));
        let a1 = ringkas(&g.capture(1, Eye::Right, 1));
        let b0 = ringkas(&g.capture(2, Eye::Right, 0));
        let opts = HdOptions::default();
        let same = hamming_distance_with(&a0, &a1, &opts).unwrap().distance;
        let other = hamming_distance_with(&a0, &b0, &opts).unwrap().distance;
        assert!(same < 0.3, "same eye: {same}");
        assert!(other > 0.4, "other eye: {other}");
    }

    #[test]
    fn section_round_trips_and_refuses_bad_bytes() {
        let b = BagianIndeks {
            head: 90,
            versi: 12,
            more: true,
            entri: vec![
                EntriIndeks {
                    seq: 11,
                    permohonan_id: "130101-a".into(),
                    isi: Some(IsiIndeks {
                        kecamatan: "130101".into(),
                        tanggal_rekam: "2026-11-30T09:05:00Z".into(),
                        nik: "1301014101900001".into(),
                        keputusan: Some("unik".into()),
                        kunci: vec![1, 2, 3],
                    }),
                },
                EntriIndeks {
                    seq: 12,
                    permohonan_id: "130102-b".into(),
                    isi: None,
                },
            ],
        };
        let bytes = b.encode();
        assert_eq!(BagianIndeks::decode(&bytes).unwrap(), b);
        for cut in 0..bytes.len() {
            assert!(BagianIndeks::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let q = PermintaanIndeks { versi: 1 << 40 };
        assert_eq!(PermintaanIndeks::decode(&q.encode()).unwrap(), q);
        // A huge entry count is refused before allocating.
        let mut body = Vec::new();
        put_u64(&mut body, 1);
        put_u64(&mut body, 1);
        body.push(0);
        put_u64(&mut body, 1 << 40);
        assert!(matches!(
            BagianIndeks::decode(&body),
            Err(WireError::TooLarge { .. })
        ));
        // The Debug form never shows the NIK.
        let dbg = format!("{:?}", b);
        assert!(!dbg.contains("1301014101900001"), "{dbg}");
    }
}
