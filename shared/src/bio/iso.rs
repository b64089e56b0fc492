//! Fingerprint minutiae records: ISO/IEC 19794-2:2005 and ANSI/INCITS 378-2004.
//!
//! Devices and other systems hand Rekam fingerprints as standard minutiae records ("FMR"). This
//! module parses both standard variants (auto-detected), validates every count against the bytes
//! actually present before allocating anything, and writes ISO 19794-2:2005 back out. Angles are
//! kept in ISO units (360/256 degrees); ANSI's 2-degree units are converted on parse.
//!
//! Every rejection is a [`TemplateError`] variant naming its reason; no input makes the parser panic.

use thiserror::Error;

/// Magic bytes of a finger minutiae record.
const MAGIC: &[u8; 4] = b"FMR\0";
/// Version of both ISO 19794-2:2005 and ANSI 378-2004.
const VERSION_20: &[u8; 4] = b" 20\0";
/// Size of the ISO record header.
const ISO_HEADER: usize = 24;
/// Size of the ANSI record header with the short (2-byte) length.
const ANSI_HEADER: usize = 26;
/// Size of a finger view header.
const VIEW_HEADER: usize = 4;
/// Size of one minutia.
const MINUTIA_LEN: usize = 6;

/// Why a record was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// Fewer bytes than the smallest header.
    #[error("record too short: {len} bytes, a header needs {needed}")]
    TooShort { len: usize, needed: usize },
    /// Does not start with `FMR\0`.
    #[error("bad magic: not a finger minutiae record (expected \"FMR\\0\")")]
    BadMagic,
    /// A version other than " 20\0".
    #[error("unsupported version {0:?} (expected \" 20\")")]
    UnsupportedVersion([u8; 4]),
    /// The record length field disagrees with the bytes given.
    #[error("record length field says {declared} bytes but {actual} bytes were given")]
    LengthMismatch { declared: u64, actual: usize },
    /// A record with zero finger views.
    #[error("record has no finger view")]
    NoViews,
    /// A view's header, minutiae or extended data run past the end of the record.
    #[error(
        "finger view {view} is truncated: {what} needs {needed} bytes at offset {offset}, record has {len}"
    )]
    Truncated {
        view: usize,
        what: &'static str,
        offset: usize,
        needed: usize,
        len: usize,
    },
    /// Bytes left over after the last view.
    #[error("{0} trailing bytes after the last finger view")]
    TrailingBytes(usize),
    /// Finger position outside 0..=10 (ISO table 5, plain fingers).
    #[error("finger view {view}: invalid finger position {position}")]
    BadFingerPosition { view: usize, position: u8 },
    /// Minutia type bits `11` (reserved).
    #[error("finger view {view}, minutia {index}: reserved minutia type")]
    BadMinutiaType { view: usize, index: usize },
    /// A minutia lies outside the image size declared in the header.
    #[error(
        "finger view {view}, minutia {index}: position ({x}, {y}) outside the {width}x{height} image"
    )]
    MinutiaOutsideImage {
        view: usize,
        index: usize,
        x: u16,
        y: u16,
        width: u16,
        height: u16,
    },
    /// ANSI angle above 179 (2-degree units).
    #[error("finger view {view}, minutia {index}: ANSI angle {angle} above 179")]
    BadAngle {
        view: usize,
        index: usize,
        angle: u8,
    },
    /// Minutia quality above 100.
    #[error("finger view {view}, minutia {index}: quality {quality} above 100")]
    BadQuality {
        view: usize,
        index: usize,
        quality: u8,
    },
    /// Resolution of zero.
    #[error("resolution of zero pixels per centimetre")]
    ZeroResolution,
    /// Too many minutiae to be written back in one view (more than 255) or too large a record.
    #[error("cannot encode: {0}")]
    Unencodable(&'static str),
}

/// Which standard a record was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// ISO/IEC 19794-2:2005.
    Iso2005,
    /// ANSI/INCITS 378-2004.
    Ansi2004,
}

/// Kind of minutia.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MinutiaKind {
    /// Type bits `00`.
    Other,
    /// Type bits `01`.
    RidgeEnding,
    /// Type bits `10`.
    Bifurcation,
}

impl MinutiaKind {
    fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            0 => Some(Self::Other),
            1 => Some(Self::RidgeEnding),
            2 => Some(Self::Bifurcation),
            _ => None,
        }
    }
    fn bits(self) -> u16 {
        match self {
            Self::Other => 0,
            Self::RidgeEnding => 1,
            Self::Bifurcation => 2,
        }
    }
}

/// One minutia: position in pixels, direction in ISO units (360/256 degrees, counter-clockwise
/// from the x axis), quality 0..=100 (0 = not reported).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Minutia {
    pub kind: MinutiaKind,
    pub x: u16,
    pub y: u16,
    pub angle: u8,
    pub quality: u8,
}

impl Minutia {
    /// Direction in radians.
    pub fn angle_radians(&self) -> f32 {
        self.angle as f32 * (std::f32::consts::TAU / 256.0)
    }
}

// Minutiae are biometric data: Debug does not print them.
impl std::fmt::Debug for Minutia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Minutia(..)")
    }
}

/// Finger position codes (ISO 19794-2 table / ANSI 378), 0 = unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FingerPosition {
    Unknown = 0,
    RightThumb = 1,
    RightIndex = 2,
    RightMiddle = 3,
    RightRing = 4,
    RightLittle = 5,
    LeftThumb = 6,
    LeftIndex = 7,
    LeftMiddle = 8,
    LeftRing = 9,
    LeftLittle = 10,
}

impl FingerPosition {
    /// All ten fingers, in code order.
    pub const TEN: [FingerPosition; 10] = [
        Self::RightThumb,
        Self::RightIndex,
        Self::RightMiddle,
        Self::RightRing,
        Self::RightLittle,
        Self::LeftThumb,
        Self::LeftIndex,
        Self::LeftMiddle,
        Self::LeftRing,
        Self::LeftLittle,
    ];

    /// From the code byte.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::Unknown,
            1 => Self::RightThumb,
            2 => Self::RightIndex,
            3 => Self::RightMiddle,
            4 => Self::RightRing,
            5 => Self::RightLittle,
            6 => Self::LeftThumb,
            7 => Self::LeftIndex,
            8 => Self::LeftMiddle,
            9 => Self::LeftRing,
            10 => Self::LeftLittle,
            _ => return None,
        })
    }

    /// The code byte.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The position's name in documents and in the offices' device protocol
    /// (`right-thumb` .. `left-little`); `None` for [`FingerPosition::Unknown`].
    pub fn name(self) -> Option<&'static str> {
        FINGER_NAMES
            .get(usize::from(self.code()).checked_sub(1)?)
            .copied()
    }

    /// The position of a name of [`FINGER_NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        let i = FINGER_NAMES.iter().position(|f| *f == name)?;
        Self::from_code(i as u8 + 1)
    }
}

/// The ten finger position names used in documents (`Biometrik::sidik_jari` keys) and in the
/// offices' device protocol, in ISO finger position order: index + 1 is the position code.
pub const FINGER_NAMES: [&str; 10] = [
    "right-thumb",
    "right-index",
    "right-middle",
    "right-ring",
    "right-little",
    "left-thumb",
    "left-index",
    "left-middle",
    "left-ring",
    "left-little",
];

/// One finger view: one impression of one finger.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerView {
    pub position: FingerPosition,
    /// View number (0..=15) for several views of the same finger.
    pub view_number: u8,
    /// Impression type (0 live-scan plain, 1 live-scan rolled, 2/3 non-live, 8 swipe...).
    pub impression_type: u8,
    /// Finger quality 0..=100.
    pub quality: u8,
    pub minutiae: Vec<Minutia>,
    /// Extended data block, kept as raw bytes (ridge counts, core/delta...), not interpreted.
    pub extended_data: Vec<u8>,
}

impl std::fmt::Debug for FingerView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerView")
            .field("position", &self.position)
            .field("view_number", &self.view_number)
            .field("impression_type", &self.impression_type)
            .field("quality", &self.quality)
            .field("minutiae", &self.minutiae.len())
            .field("extended_data", &self.extended_data.len())
            .finish()
    }
}

/// A parsed finger minutiae record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintRecord {
    pub format: RecordFormat,
    /// Capture equipment compliance (4 bits) and id (12 bits).
    pub capture_equipment: u16,
    /// Image width and height in pixels.
    pub width: u16,
    pub height: u16,
    /// Resolution in pixels per centimetre (197 = 500 dpi).
    pub resolution_x: u16,
    pub resolution_y: u16,
    pub views: Vec<FingerView>,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl FingerprintRecord {
    /// Parses an ISO 19794-2:2005 or ANSI 378-2004 record, detecting which.
    pub fn parse(data: &[u8]) -> Result<Self, TemplateError> {
        if data.len() < ISO_HEADER {
            return Err(TemplateError::TooShort {
                len: data.len(),
                needed: ISO_HEADER,
            });
        }
        if &data[0..4] != MAGIC {
            return Err(TemplateError::BadMagic);
        }
        if &data[4..8] != VERSION_20 {
            return Err(TemplateError::UnsupportedVersion([
                data[4], data[5], data[6], data[7],
            ]));
        }
        // ISO: 4-byte length at 8. ANSI: 2-byte length at 8, or 0x0000 then a 4-byte length at 10
        // (only for records over 64 KiB). The form whose length field equals the bytes given
        // wins; when none does, the closest declared length decides which error to report.
        let len = data.len();
        let iso_len = be32(data, 8) as usize;
        let short = be16(data, 8) as usize;
        let long = if len >= 14 {
            Some(be32(data, 10) as usize)
        } else {
            None
        };
        let format = if iso_len == len {
            RecordFormat::Iso2005
        } else if short == len
            || (short == 0 && long == Some(len))
            || (short != 0 && short.abs_diff(len) < iso_len.abs_diff(len))
        {
            RecordFormat::Ansi2004
        } else {
            RecordFormat::Iso2005
        };
        match format {
            RecordFormat::Iso2005 => Self::parse_iso(data),
            RecordFormat::Ansi2004 => Self::parse_ansi(data),
        }
    }

    fn parse_iso(data: &[u8]) -> Result<Self, TemplateError> {
        let declared = be32(data, 8);
        if declared as usize != data.len() {
            return Err(TemplateError::LengthMismatch {
                declared: declared as u64,
                actual: data.len(),
            });
        }
        let capture_equipment = be16(data, 12);
        let width = be16(data, 14);
        let height = be16(data, 16);
        let resolution_x = be16(data, 18);
        let resolution_y = be16(data, 20);
        let n_views = data[22] as usize;
        let views = parse_views(
            data,
            ISO_HEADER,
            n_views,
            width,
            height,
            RecordFormat::Iso2005,
        )?;
        Self::finish(
            RecordFormat::Iso2005,
            capture_equipment,
            width,
            height,
            resolution_x,
            resolution_y,
            views,
        )
    }

    fn parse_ansi(data: &[u8]) -> Result<Self, TemplateError> {
        let (declared, header) = match be16(data, 8) {
            0 => {
                if data.len() < ANSI_HEADER + 4 {
                    return Err(TemplateError::TooShort {
                        len: data.len(),
                        needed: ANSI_HEADER + 4,
                    });
                }
                (be32(data, 10) as u64, ANSI_HEADER + 4)
            }
            n => {
                if data.len() < ANSI_HEADER {
                    return Err(TemplateError::TooShort {
                        len: data.len(),
                        needed: ANSI_HEADER,
                    });
                }
                (n as u64, ANSI_HEADER)
            }
        };
        if declared != data.len() as u64 {
            return Err(TemplateError::LengthMismatch {
                declared,
                actual: data.len(),
            });
        }
        // After the length: CBEFF product id (4), equipment (2), sizes (4), resolutions (4),
        // view count (1), reserved (1).
        let p = header - 16;
        let capture_equipment = be16(data, p + 4);
        let width = be16(data, p + 6);
        let height = be16(data, p + 8);
        let resolution_x = be16(data, p + 10);
        let resolution_y = be16(data, p + 12);
        let n_views = data[p + 14] as usize;
        let views = parse_views(data, header, n_views, width, height, RecordFormat::Ansi2004)?;
        Self::finish(
            RecordFormat::Ansi2004,
            capture_equipment,
            width,
            height,
            resolution_x,
            resolution_y,
            views,
        )
    }

    fn finish(
        format: RecordFormat,
        capture_equipment: u16,
        width: u16,
        height: u16,
        resolution_x: u16,
        resolution_y: u16,
        views: Vec<FingerView>,
    ) -> Result<Self, TemplateError> {
        if resolution_x == 0 || resolution_y == 0 {
            return Err(TemplateError::ZeroResolution);
        }
        Ok(Self {
            format,
            capture_equipment,
            width,
            height,
            resolution_x,
            resolution_y,
            views,
        })
    }

    /// Writes the record as ISO/IEC 19794-2:2005 (whatever format it was read from).
    pub fn to_iso_bytes(&self) -> Result<Vec<u8>, TemplateError> {
        if self.views.len() > 255 {
            return Err(TemplateError::Unencodable("more than 255 finger views"));
        }
        let mut out = Vec::with_capacity(
            ISO_HEADER
                + self
                    .views
                    .iter()
                    .map(|v| 6 + 6 * v.minutiae.len() + v.extended_data.len())
                    .sum::<usize>(),
        );
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(VERSION_20);
        out.extend_from_slice(&[0; 4]); // length, patched below
        out.extend_from_slice(&self.capture_equipment.to_be_bytes());
        out.extend_from_slice(&self.width.to_be_bytes());
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.resolution_x.to_be_bytes());
        out.extend_from_slice(&self.resolution_y.to_be_bytes());
        out.push(self.views.len() as u8);
        out.push(0);
        for v in &self.views {
            if v.minutiae.len() > 255 {
                return Err(TemplateError::Unencodable(
                    "more than 255 minutiae in a view",
                ));
            }
            if v.extended_data.len() > 0xFFFF {
                return Err(TemplateError::Unencodable("extended data over 65535 bytes"));
            }
            out.push(v.position.code());
            out.push((v.view_number & 0x0F) << 4 | (v.impression_type & 0x0F));
            out.push(v.quality);
            out.push(v.minutiae.len() as u8);
            for m in &v.minutiae {
                if m.x > 0x3FFF || m.y > 0x3FFF {
                    return Err(TemplateError::Unencodable("minutia coordinate above 16383"));
                }
                out.extend_from_slice(&((m.kind.bits() << 14) | m.x).to_be_bytes());
                out.extend_from_slice(&m.y.to_be_bytes());
                out.push(m.angle);
                out.push(m.quality);
            }
            out.extend_from_slice(&(v.extended_data.len() as u16).to_be_bytes());
            out.extend_from_slice(&v.extended_data);
        }
        let len = u32::try_from(out.len())
            .map_err(|_| TemplateError::Unencodable("record over 4 GiB"))?;
        out[8..12].copy_from_slice(&len.to_be_bytes());
        Ok(out)
    }

    /// The first view of the given finger, if any.
    pub fn view_of(&self, position: FingerPosition) -> Option<&FingerView> {
        self.views.iter().find(|v| v.position == position)
    }
}

fn parse_views(
    data: &[u8],
    start: usize,
    n_views: usize,
    width: u16,
    height: u16,
    format: RecordFormat,
) -> Result<Vec<FingerView>, TemplateError> {
    if n_views == 0 {
        return Err(TemplateError::NoViews);
    }
    let len = data.len();
    // Every view needs at least 6 bytes (header + extended length): bound the allocation.
    let mut views = Vec::with_capacity(n_views.min((len - start.min(len)) / 6 + 1));
    let mut at = start;
    for view in 0..n_views {
        if at + VIEW_HEADER > len {
            return Err(TemplateError::Truncated {
                view,
                what: "view header",
                offset: at,
                needed: VIEW_HEADER,
                len,
            });
        }
        let position = data[at];
        let position = FingerPosition::from_code(position)
            .ok_or(TemplateError::BadFingerPosition { view, position })?;
        let view_number = data[at + 1] >> 4;
        let impression_type = data[at + 1] & 0x0F;
        let quality = data[at + 2];
        let n_min = data[at + 3] as usize;
        at += VIEW_HEADER;
        let needed = n_min * MINUTIA_LEN;
        if at + needed > len {
            return Err(TemplateError::Truncated {
                view,
                what: "minutiae",
                offset: at,
                needed,
                len,
            });
        }
        let mut minutiae = Vec::with_capacity(n_min);
        for index in 0..n_min {
            let b = &data[at + index * MINUTIA_LEN..at + (index + 1) * MINUTIA_LEN];
            let kind = MinutiaKind::from_bits(b[0] >> 6)
                .ok_or(TemplateError::BadMinutiaType { view, index })?;
            let x = be16(b, 0) & 0x3FFF;
            let y = be16(b, 2) & 0x3FFF;
            if (width > 0 && x >= width) || (height > 0 && y >= height) {
                return Err(TemplateError::MinutiaOutsideImage {
                    view,
                    index,
                    x,
                    y,
                    width,
                    height,
                });
            }
            let angle = match format {
                RecordFormat::Iso2005 => b[4],
                RecordFormat::Ansi2004 => {
                    if b[4] > 179 {
                        return Err(TemplateError::BadAngle {
                            view,
                            index,
                            angle: b[4],
                        });
                    }
                    // 2-degree units to 360/256: a * 2 * 256 / 360, rounded.
                    ((b[4] as u32 * 512 + 180) / 360 % 256) as u8
                }
            };
            let mq = b[5];
            if mq > 100 {
                return Err(TemplateError::BadQuality {
                    view,
                    index,
                    quality: mq,
                });
            }
            minutiae.push(Minutia {
                kind,
                x,
                y,
                angle,
                quality: mq,
            });
        }
        at += needed;
        if at + 2 > len {
            return Err(TemplateError::Truncated {
                view,
                what: "extended data length",
                offset: at,
                needed: 2,
                len,
            });
        }
        let ext = be16(data, at) as usize;
        at += 2;
        if at + ext > len {
            return Err(TemplateError::Truncated {
                view,
                what: "extended data",
                offset: at,
                needed: ext,
                len,
            });
        }
        let extended_data = data[at..at + ext].to_vec();
        at += ext;
        views.push(FingerView {
            position,
            view_number,
            impression_type,
            quality,
            minutiae,
            extended_data,
        });
    }
    if at != len {
        return Err(TemplateError::TrailingBytes(len - at));
    }
    Ok(views)
}
