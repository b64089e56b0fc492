//! Region codes (kode wilayah) of the Ministry of Home Affairs (Kemendagri): the provinces of
//! Indonesia, the regencies and cities of Sumatera Barat, and the 15 kecamatan of Kabupaten
//! Pesisir Selatan, the district Rekam serves.
//!
//! A NIK and a No. KK both start with a 6-digit region code `PP.KK.CC` (province, regency/city,
//! kecamatan). [`RegionDirectory`] answers "is this a region a NIK may carry?": residents move, so
//! a NIK from another regency is valid at a Pesisir Selatan desk. The directory knows every
//! province; where it also knows the list of regencies (Sumatera Barat) or kecamatan (Pesisir
//! Selatan) it checks those levels too, and elsewhere it accepts any regency/kecamatan number.
//! Other districts extend it with [`RegionDirectory::with_kabupaten`] /
//! [`RegionDirectory::with_kecamatan`].
//!
//! Sources (checked 2026-11, see `docs/domain.md`):
//! - Kepmendagri No. 100.1.1-6117 Tahun 2022 and Permendagri No. 72 Tahun 2019 tentang kode dan
//!   data wilayah administrasi pemerintahan (province, regency and kecamatan codes);
//! - Kabupaten Pesisir Selatan: 15 kecamatan, 13.01.01 Pancung Soal .. 13.01.15 Silaut. Kecamatan
//!   Lunang Silaut (13.01.10) was split into Lunang (keeping 13.01.10) and Silaut (new code
//!   13.01.15); the official list names 13.01.10 "Lunang".
//! - Nagari: Pesisir Selatan has 182 nagari and no kelurahan (BPS Provinsi Sumatera Barat,
//!   "Jumlah desa, nagari dan kelurahan menurut kabupaten/kota", 2020, as tabulated in the
//!   Indonesian Wikipedia "Daftar nagari di Sumatera Barat"). Per-kecamatan counts are filled in
//!   only where found (Wikipedia "Pesisir Selatan Regency", citing BPS "Kabupaten Pesisir Selatan
//!   Dalam Angka 2024"; Pancung Soal's 10 also in its own article); `None` elsewhere.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// Kode kecamatan: the 6-digit region code `PP.KK.CC` (province, regency/city, kecamatan) that
/// opens every NIK and No. KK. Serialized as the 6-digit string `"130101"`; parsed from
/// `"130101"` or `"13.01.01"`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KodeKecamatan {
    provinsi: u8,
    kabupaten: u8,
    kecamatan: u8,
}

impl KodeKecamatan {
    /// Builds a code from its three 2-digit parts. Each part must be 1..=99.
    pub const fn new(provinsi: u8, kabupaten: u8, kecamatan: u8) -> Result<Self, KodeError> {
        if provinsi == 0 || provinsi > 99 || kabupaten == 0 || kabupaten > 99 {
            return Err(KodeError::Invalid);
        }
        if kecamatan == 0 || kecamatan > 99 {
            return Err(KodeError::Invalid);
        }
        Ok(KodeKecamatan {
            provinsi,
            kabupaten,
            kecamatan,
        })
    }

    /// Const constructor for the built-in tables (panics at compile time on a bad literal).
    const fn lit(provinsi: u8, kabupaten: u8, kecamatan: u8) -> Self {
        match Self::new(provinsi, kabupaten, kecamatan) {
            Ok(k) => k,
            Err(_) => panic!("bad region literal"),
        }
    }

    /// Province code (kode provinsi), e.g. 13 for Sumatera Barat.
    pub const fn provinsi(self) -> u8 {
        self.provinsi
    }
    /// Regency/city code within the province (kode kabupaten/kota), e.g. 1 for Pesisir Selatan.
    pub const fn kabupaten(self) -> u8 {
        self.kabupaten
    }
    /// Kecamatan code within the regency.
    pub const fn kecamatan(self) -> u8 {
        self.kecamatan
    }
    /// The code as a number, e.g. `130101`.
    pub const fn as_u32(self) -> u32 {
        self.provinsi as u32 * 10_000 + self.kabupaten as u32 * 100 + self.kecamatan as u32
    }
    /// The dotted official notation, e.g. `"13.01.01"`.
    pub fn dotted(self) -> String {
        format!(
            "{:02}.{:02}.{:02}",
            self.provinsi, self.kabupaten, self.kecamatan
        )
    }
}

/// Why a region code string was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KodeError {
    /// Not 6 digits (optionally dotted as `PP.KK.CC`), or a part is `00`.
    #[error("kode kecamatan harus 6 angka (PP.KK.CC), tanpa bagian 00")]
    Invalid,
}

impl fmt::Display for KodeKecamatan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}{:02}{:02}",
            self.provinsi, self.kabupaten, self.kecamatan
        )
    }
}

impl fmt::Debug for KodeKecamatan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KodeKecamatan({self})")
    }
}

impl FromStr for KodeKecamatan {
    type Err = KodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        let digits: [u8; 6] = match b.len() {
            6 => [b[0], b[1], b[2], b[3], b[4], b[5]],
            8 if b[2] == b'.' && b[5] == b'.' => [b[0], b[1], b[3], b[4], b[6], b[7]],
            _ => return Err(KodeError::Invalid),
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(KodeError::Invalid);
        }
        let d = |i: usize| (digits[i] - b'0') * 10 + (digits[i + 1] - b'0');
        KodeKecamatan::new(d(0), d(2), d(4))
    }
}

impl Serialize for KodeKecamatan {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KodeKecamatan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A province (provinsi) with its Kemendagri code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provinsi {
    /// 2-digit province code.
    pub kode: u8,
    /// Official name.
    pub nama: Cow<'static, str>,
}

/// A regency (kabupaten) or city (kota) with its Kemendagri code. Codes 01..=69 are
/// kabupaten, 71..=99 are kota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KabupatenKota {
    /// Province code.
    pub provinsi: u8,
    /// Regency/city code within the province.
    pub kode: u8,
    /// Official name, with its "Kabupaten"/"Kota" prefix.
    pub nama: Cow<'static, str>,
}

/// A kecamatan (sub-district) with its Kemendagri code and, where established, how many nagari
/// (Minangkabau villages) and kelurahan (urban villages) it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kecamatan {
    /// Full 6-digit code.
    pub kode: KodeKecamatan,
    /// Official name.
    pub nama: Cow<'static, str>,
    /// Number of nagari/desa, if established.
    pub jumlah_nagari: Option<u16>,
    /// Number of kelurahan, if established.
    pub jumlah_kelurahan: Option<u16>,
}

const fn prov(kode: u8, nama: &'static str) -> Provinsi {
    Provinsi {
        kode,
        nama: Cow::Borrowed(nama),
    }
}

const fn kab(kode: u8, nama: &'static str) -> KabupatenKota {
    KabupatenKota {
        provinsi: 13,
        kode,
        nama: Cow::Borrowed(nama),
    }
}

const fn kec(kode: u8, nama: &'static str, jumlah_nagari: Option<u16>) -> Kecamatan {
    Kecamatan {
        kode: KodeKecamatan::lit(13, 1, kode),
        nama: Cow::Borrowed(nama),
        jumlah_nagari,
        jumlah_kelurahan: Some(0),
    }
}

/// The provinces of Indonesia by Kemendagri code (Kepmendagri 100.1.1-6117/2022 and the 2022
/// laws creating the Papua provinces). NIKs issued before the Papua recoding may carry 91/94 with
/// the older meaning; both codes are in the list, so such NIKs stay valid.
pub const PROVINSI: &[Provinsi] = &[
    prov(11, "Aceh"),
    prov(12, "Sumatera Utara"),
    prov(13, "Sumatera Barat"),
    prov(14, "Riau"),
    prov(15, "Jambi"),
    prov(16, "Sumatera Selatan"),
    prov(17, "Bengkulu"),
    prov(18, "Lampung"),
    prov(19, "Kepulauan Bangka Belitung"),
    prov(21, "Kepulauan Riau"),
    prov(31, "DKI Jakarta"),
    prov(32, "Jawa Barat"),
    prov(33, "Jawa Tengah"),
    prov(34, "Daerah Istimewa Yogyakarta"),
    prov(35, "Jawa Timur"),
    prov(36, "Banten"),
    prov(51, "Bali"),
    prov(52, "Nusa Tenggara Barat"),
    prov(53, "Nusa Tenggara Timur"),
    prov(61, "Kalimantan Barat"),
    prov(62, "Kalimantan Tengah"),
    prov(63, "Kalimantan Selatan"),
    prov(64, "Kalimantan Timur"),
    prov(65, "Kalimantan Utara"),
    prov(71, "Sulawesi Utara"),
    prov(72, "Sulawesi Tengah"),
    prov(73, "Sulawesi Selatan"),
    prov(74, "Sulawesi Tenggara"),
    prov(75, "Gorontalo"),
    prov(76, "Sulawesi Barat"),
    prov(81, "Maluku"),
    prov(82, "Maluku Utara"),
    prov(91, "Papua"),
    prov(92, "Papua Barat"),
    prov(93, "Papua Selatan"),
    prov(94, "Papua Tengah"),
    prov(95, "Papua Pegunungan"),
    prov(96, "Papua Barat Daya"),
];

/// Province code of Sumatera Barat.
pub const PROVINSI_SUMATERA_BARAT: u8 = 13;

/// The 19 regencies and cities of Sumatera Barat (province 13).
pub const KABUPATEN_SUMATERA_BARAT: &[KabupatenKota] = &[
    kab(1, "Kabupaten Pesisir Selatan"),
    kab(2, "Kabupaten Solok"),
    kab(3, "Kabupaten Sijunjung"),
    kab(4, "Kabupaten Tanah Datar"),
    kab(5, "Kabupaten Padang Pariaman"),
    kab(6, "Kabupaten Agam"),
    kab(7, "Kabupaten Lima Puluh Kota"),
    kab(8, "Kabupaten Pasaman"),
    kab(9, "Kabupaten Kepulauan Mentawai"),
    kab(10, "Kabupaten Dharmasraya"),
    kab(11, "Kabupaten Solok Selatan"),
    kab(12, "Kabupaten Pasaman Barat"),
    kab(71, "Kota Padang"),
    kab(72, "Kota Solok"),
    kab(73, "Kota Sawahlunto"),
    kab(74, "Kota Padang Panjang"),
    kab(75, "Kota Bukittinggi"),
    kab(76, "Kota Payakumbuh"),
    kab(77, "Kota Pariaman"),
];

/// Kode kabupaten of Pesisir Selatan within Sumatera Barat (13.01).
pub const KABUPATEN_PESISIR_SELATAN: u8 = 1;

/// The 15 kecamatan of Kabupaten Pesisir Selatan (13.01), in code order.
pub const KECAMATAN_PESISIR_SELATAN: &[Kecamatan] = &[
    kec(1, "Pancung Soal", Some(10)),
    kec(2, "Ranah Pesisir", None),
    kec(3, "Lengayang", None),
    kec(4, "Batang Kapas", None),
    kec(5, "IV Jurai", None),
    kec(6, "Bayang", None),
    kec(7, "Koto XI Tarusan", None),
    kec(8, "Sutera", None),
    kec(9, "Linggo Sari Baganti", Some(16)),
    kec(10, "Lunang", Some(10)),
    kec(11, "Basa Ampek Balai Tapan", Some(10)),
    kec(12, "IV Nagari Bayang Utara", None),
    kec(13, "Airpura", Some(10)),
    kec(14, "Ranah Ampek Hulu Tapan", Some(10)),
    kec(15, "Silaut", Some(10)),
];

/// Number of nagari in Kabupaten Pesisir Selatan (all its villages are nagari; no kelurahan).
pub const JUMLAH_NAGARI_PESISIR_SELATAN: u16 = 182;

/// Looks up a kecamatan of Pesisir Selatan by its full code.
pub fn kecamatan_pesisir_selatan(kode: KodeKecamatan) -> Option<&'static Kecamatan> {
    KECAMATAN_PESISIR_SELATAN.iter().find(|k| k.kode == kode)
}

/// Why a region code is not a region a NIK/No. KK may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum RegionError {
    /// The province code is not a province of Indonesia.
    #[error("kode provinsi {provinsi:02} tidak dikenal")]
    UnknownProvinsi {
        /// The offending code.
        provinsi: u8,
    },
    /// The province's regencies are known and this is not one of them.
    #[error("kode kabupaten/kota {provinsi:02}.{kabupaten:02} tidak dikenal")]
    UnknownKabupaten {
        /// Province code.
        provinsi: u8,
        /// The offending regency code.
        kabupaten: u8,
    },
    /// The regency's kecamatan are known and this is not one of them.
    #[error("kode kecamatan {0} tidak dikenal")]
    UnknownKecamatan(KodeKecamatan),
}

/// What the directory knows about a region: the names at every level it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wilayah<'a> {
    /// The province (always known for an accepted code).
    pub provinsi: &'a Provinsi,
    /// The regency/city, if the directory lists that province's regencies.
    pub kabupaten: Option<&'a KabupatenKota>,
    /// The kecamatan, if the directory lists that regency's kecamatan.
    pub kecamatan: Option<&'a Kecamatan>,
}

/// A lookup of the regions a NIK may carry: all provinces, plus regency and kecamatan lists for
/// the parts of the country that have been loaded. [`RegionDirectory::builtin`] knows Sumatera
/// Barat's regencies and Pesisir Selatan's kecamatan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionDirectory {
    provinsi: Vec<Provinsi>,
    kabupaten: Vec<KabupatenKota>,
    kecamatan: Vec<Kecamatan>,
}

impl Default for RegionDirectory {
    fn default() -> Self {
        Self::builtin()
    }
}

impl RegionDirectory {
    /// The built-in directory: every province, the regencies/cities of Sumatera Barat and the
    /// kecamatan of Pesisir Selatan.
    pub fn builtin() -> Self {
        RegionDirectory {
            provinsi: PROVINSI.to_vec(),
            kabupaten: KABUPATEN_SUMATERA_BARAT.to_vec(),
            kecamatan: KECAMATAN_PESISIR_SELATAN.to_vec(),
        }
    }

    /// Adds (or renames) a regency/city. Once a province has any regency listed, codes of
    /// unlisted regencies in it are rejected.
    pub fn with_kabupaten(mut self, k: KabupatenKota) -> Self {
        self.kabupaten
            .retain(|x| !(x.provinsi == k.provinsi && x.kode == k.kode));
        self.kabupaten.push(k);
        self
    }

    /// Adds (or replaces) a kecamatan. Once a regency has any kecamatan listed, codes of
    /// unlisted kecamatan in it are rejected.
    pub fn with_kecamatan(mut self, k: Kecamatan) -> Self {
        self.kecamatan.retain(|x| x.kode != k.kode);
        self.kecamatan.push(k);
        self
    }

    /// The province with this code.
    pub fn provinsi(&self, kode: u8) -> Option<&Provinsi> {
        self.provinsi.iter().find(|p| p.kode == kode)
    }

    /// The regency/city with this code.
    pub fn kabupaten(&self, provinsi: u8, kode: u8) -> Option<&KabupatenKota> {
        self.kabupaten
            .iter()
            .find(|k| k.provinsi == provinsi && k.kode == kode)
    }

    /// The kecamatan with this code.
    pub fn kecamatan(&self, kode: KodeKecamatan) -> Option<&Kecamatan> {
        self.kecamatan.iter().find(|k| k.kode == kode)
    }

    /// All kecamatan listed for one regency, in code order.
    pub fn kecamatan_of(&self, provinsi: u8, kabupaten: u8) -> Vec<&Kecamatan> {
        let mut v: Vec<_> = self
            .kecamatan
            .iter()
            .filter(|k| k.kode.provinsi() == provinsi && k.kode.kabupaten() == kabupaten)
            .collect();
        v.sort_by_key(|k| k.kode);
        v
    }

    /// Checks a region code: the province must exist; the regency must be listed if its
    /// province's regencies are known; the kecamatan must be listed if its regency's kecamatan
    /// are known. Returns what is known about it.
    pub fn check(&self, kode: KodeKecamatan) -> Result<Wilayah<'_>, RegionError> {
        let (p, k) = (kode.provinsi(), kode.kabupaten());
        let provinsi = self
            .provinsi(p)
            .ok_or(RegionError::UnknownProvinsi { provinsi: p })?;
        let kabupaten = self.kabupaten(p, k);
        if kabupaten.is_none() && self.kabupaten.iter().any(|x| x.provinsi == p) {
            return Err(RegionError::UnknownKabupaten {
                provinsi: p,
                kabupaten: k,
            });
        }
        let kecamatan = self.kecamatan(kode);
        if kecamatan.is_none()
            && self
                .kecamatan
                .iter()
                .any(|x| x.kode.provinsi() == p && x.kode.kabupaten() == k)
        {
            return Err(RegionError::UnknownKecamatan(kode));
        }
        Ok(Wilayah {
            provinsi,
            kabupaten,
            kecamatan,
        })
    }
}

/// The built-in directory, shared (built once).
pub fn builtin() -> &'static RegionDirectory {
    static DIR: std::sync::OnceLock<RegionDirectory> = std::sync::OnceLock::new();
    DIR.get_or_init(RegionDirectory::builtin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pesisir_selatan_has_15_kecamatan_with_unique_sequential_codes() {
        assert_eq!(KECAMATAN_PESISIR_SELATAN.len(), 15);
        for (i, k) in KECAMATAN_PESISIR_SELATAN.iter().enumerate() {
            assert_eq!(k.kode.as_u32(), 130101 + i as u32);
        }
        let k: KodeKecamatan = "13.01.15".parse().unwrap();
        assert_eq!(kecamatan_pesisir_selatan(k).unwrap().nama, "Silaut");
        assert_eq!(
            kecamatan_pesisir_selatan("130101".parse().unwrap())
                .unwrap()
                .nama,
            "Pancung Soal"
        );
    }

    #[test]
    fn nagari_counts_are_consistent_with_the_district_total() {
        let known: u16 = KECAMATAN_PESISIR_SELATAN
            .iter()
            .filter_map(|k| k.jumlah_nagari)
            .sum();
        let unknown = KECAMATAN_PESISIR_SELATAN
            .iter()
            .filter(|k| k.jumlah_nagari.is_none())
            .count() as u16;
        // Every kecamatan without a known count has at least one nagari.
        assert!(known + unknown <= JUMLAH_NAGARI_PESISIR_SELATAN);
        assert!(
            KECAMATAN_PESISIR_SELATAN
                .iter()
                .all(|k| k.jumlah_kelurahan == Some(0))
        );
    }

    #[test]
    fn tables_have_the_official_sizes_and_no_duplicates() {
        assert_eq!(PROVINSI.len(), 38);
        assert_eq!(KABUPATEN_SUMATERA_BARAT.len(), 19);
        let mut p: Vec<u8> = PROVINSI.iter().map(|x| x.kode).collect();
        p.dedup();
        assert_eq!(p.len(), 38, "province codes sorted and unique");
        assert!(p.windows(2).all(|w| w[0] < w[1]));
        let mut k: Vec<u8> = KABUPATEN_SUMATERA_BARAT.iter().map(|x| x.kode).collect();
        k.sort_unstable();
        k.dedup();
        assert_eq!(k.len(), 19);
        assert_eq!(
            KABUPATEN_SUMATERA_BARAT
                .iter()
                .filter(|x| x.kode < 70)
                .count(),
            12
        );
    }

    #[test]
    fn code_parsing_and_serde() {
        let k: KodeKecamatan = "130110".parse().unwrap();
        assert_eq!(k.to_string(), "130110");
        assert_eq!(k.dotted(), "13.01.10");
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"130110\"");
        let back: KodeKecamatan = serde_json::from_str("\"13.01.10\"").unwrap();
        assert_eq!(back, k);
        for bad in [
            "", "13010", "1301011", "13-01-01", "130100", "000101", "13.0101", "1a0101",
        ] {
            assert_eq!(
                bad.parse::<KodeKecamatan>(),
                Err(KodeError::Invalid),
                "{bad}"
            );
        }
        assert!(serde_json::from_str::<KodeKecamatan>("\"999\"").is_err());
    }

    #[test]
    fn directory_checks_each_level() {
        let d = RegionDirectory::builtin();
        let w = d.check("130107".parse().unwrap()).unwrap();
        assert_eq!(w.provinsi.nama, "Sumatera Barat");
        assert_eq!(w.kabupaten.unwrap().nama, "Kabupaten Pesisir Selatan");
        assert_eq!(w.kecamatan.unwrap().nama, "Koto XI Tarusan");
        // Kota Padang: regency known, kecamatan list not loaded -> accepted.
        let w = d.check("137101".parse().unwrap()).unwrap();
        assert_eq!(w.kabupaten.unwrap().nama, "Kota Padang");
        assert!(w.kecamatan.is_none());
        // Another province, regencies not loaded -> accepted at province level.
        let w = d.check("320101".parse().unwrap()).unwrap();
        assert_eq!(w.provinsi.nama, "Jawa Barat");
        assert!(w.kabupaten.is_none());
        assert_eq!(
            d.check("200101".parse().unwrap()),
            Err(RegionError::UnknownProvinsi { provinsi: 20 })
        );
        assert_eq!(
            d.check("131301".parse().unwrap()),
            Err(RegionError::UnknownKabupaten {
                provinsi: 13,
                kabupaten: 13
            })
        );
        let k = "130116".parse().unwrap();
        assert_eq!(d.check(k), Err(RegionError::UnknownKecamatan(k)));
    }

    #[test]
    fn directory_is_extensible() {
        let d = RegionDirectory::builtin().with_kecamatan(Kecamatan {
            kode: "137101".parse().unwrap(),
            nama: "Padang Selatan".into(),
            jumlah_nagari: None,
            jumlah_kelurahan: None,
        });
        assert!(
            d.check("137101".parse().unwrap())
                .unwrap()
                .kecamatan
                .is_some()
        );
        // Now Kota Padang's kecamatan are "known": an unlisted one is rejected.
        assert!(d.check("137199".parse().unwrap()).is_err());
        let d = d.with_kabupaten(KabupatenKota {
            provinsi: 32,
            kode: 1,
            nama: "Kabupaten Bogor".into(),
        });
        assert!(d.check("320101".parse().unwrap()).is_ok());
        assert!(d.check("320201".parse().unwrap()).is_err());
        assert_eq!(d.kecamatan_of(13, 1).len(), 15);
    }
}
