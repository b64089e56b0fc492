//! The population register (Database Kependudukan, kept by the civil registry in SIAK): the
//! residents of the district as the register knows them, and the wire form in which the hub
//! hands them to the offices (see `docs/population-register.md`).
//!
//! [`PendudukTerdaftar`] is one resident of the register: the desk's [`Penduduk`] (the same
//! fields the registration desk fills), plus religion, occupation and the register's status
//! ([`StatusPenduduk`]: aktif, meninggal, pindah). [`PendudukTerdaftar::validate`] applies the
//! domain rules of [`Penduduk::validate`] (the NIK's birth date and sex equal to the fields,
//! RT/RW, texts) and the district's: the kecamatan of the address and the family card's region
//! belong to this district ([`KABUPATEN`]). [`PendudukTerdaftar::wajib_ktp_el`] is the one
//! definition of "must hold a KTP-el" over the register (active, and 17 or older or ever
//! married, by [`crate::eligibility`]).
//!
//! Wire form: the agent's request carries [`PermintaanRegister`] (its version) in extension
//! section [`crate::wire::EXT_POPULATION_REGISTER`]; the hub answers with a [`BagianRegister`]
//! in the response section of the same tag: at most [`MAX_ENTRI_PER_BAGIAN`] residents changed
//! past that version, the new version, the hub's head and whether more follow. A resident is
//! never deleted from the register: a death or a move out is a new version with that status.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::kk::NomorKk;
use crate::nik::Nik;
use crate::penduduk::{FieldError, JenisKelamin, Penduduk, StatusPerkawinan};
use crate::region::KodeKecamatan;
use crate::wire::{WireError, get_count, get_string, get_u8, get_u64, put_bytes, put_u64};

/// The district whose register Rekam holds: Kabupaten Pesisir Selatan, (province, regency)
/// 13.01 in Kemendagri codes.
pub const KABUPATEN: (u8, u8) = (13, 1);

/// Most residents in one response section (the hub sends far fewer, see
/// `hub::penduduk::ENTRI_PER_BAGIAN`).
pub const MAX_ENTRI_PER_BAGIAN: usize = 20_000;

/// Longest occupation (jenis pekerjaan) text, in characters.
pub const MAX_PEKERJAAN: usize = 60;

/// Whether `kode` is a kecamatan of this district ([`KABUPATEN`]) that the region table knows.
pub fn di_kabupaten(kode: KodeKecamatan) -> bool {
    (kode.provinsi(), kode.kabupaten()) == KABUPATEN
        && crate::region::builtin().kecamatan(kode).is_some()
}

/// Status of a resident in the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusPenduduk {
    /// Aktif: living in the district.
    Aktif,
    /// Meninggal: deceased (a death certificate was registered).
    Meninggal,
    /// Pindah: moved out of the district (SKPWNI issued).
    Pindah,
}

impl StatusPenduduk {
    /// Every status, in wire order.
    pub const SEMUA: [StatusPenduduk; 3] = [Self::Aktif, Self::Meninggal, Self::Pindah];

    /// The stored word (`aktif`, `meninggal`, `pindah`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aktif => "aktif",
            Self::Meninggal => "meninggal",
            Self::Pindah => "pindah",
        }
    }

    /// The status stored as `s`, or as written in an extract (any case, `PINDAH KELUAR`, `MATI`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "aktif" | "hidup" => Some(Self::Aktif),
            "meninggal" | "mati" | "meninggal dunia" => Some(Self::Meninggal),
            "pindah" | "pindah keluar" => Some(Self::Pindah),
            _ => None,
        }
    }
}

/// Agama (religion) as SIAK codes it (1-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agama {
    /// Islam (1).
    Islam,
    /// Kristen (2).
    Kristen,
    /// Katholik (3).
    Katholik,
    /// Hindu (4).
    Hindu,
    /// Budha (5).
    Budha,
    /// Khonghucu (6).
    Khonghucu,
    /// Kepercayaan terhadap Tuhan YME (7).
    Kepercayaan,
}

impl Agama {
    /// Every value, in SIAK code order (code = index + 1).
    pub const SEMUA: [Agama; 7] = [
        Self::Islam,
        Self::Kristen,
        Self::Katholik,
        Self::Hindu,
        Self::Budha,
        Self::Khonghucu,
        Self::Kepercayaan,
    ];

    /// The stored word (`islam`, ..., `kepercayaan`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Islam => "islam",
            Self::Kristen => "kristen",
            Self::Katholik => "katholik",
            Self::Hindu => "hindu",
            Self::Budha => "budha",
            Self::Khonghucu => "khonghucu",
            Self::Kepercayaan => "kepercayaan",
        }
    }

    /// The value written as `s`: the SIAK word (any case, common spellings), the stored word,
    /// or the SIAK code 1-7.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim().to_ascii_lowercase();
        if let Ok(code) = t.parse::<usize>() {
            return (1..=7).contains(&code).then(|| Self::SEMUA[code - 1]);
        }
        Some(match t.as_str() {
            "islam" => Self::Islam,
            "kristen" | "protestan" | "kristen protestan" => Self::Kristen,
            "katholik" | "katolik" | "kristen katolik" => Self::Katholik,
            "hindu" => Self::Hindu,
            "budha" | "buddha" => Self::Budha,
            "khonghucu" | "konghucu" | "khong hu cu" => Self::Khonghucu,
            _ if t.starts_with("kepercayaan") => Self::Kepercayaan,
            _ => return None,
        })
    }
}

/// One resident of the population register.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendudukTerdaftar {
    /// The resident's data, as the registration desk uses them.
    #[serde(flatten)]
    pub penduduk: Penduduk,
    /// Agama (religion).
    pub agama: Agama,
    /// Jenis pekerjaan (occupation), as the register writes it.
    pub pekerjaan: String,
    /// Status in the register.
    pub status: StatusPenduduk,
}

// NIK, No. KK and names never in logs: Debug shows only where and the status.
impl std::fmt::Debug for PendudukTerdaftar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendudukTerdaftar")
            .field("kecamatan", &self.penduduk.kecamatan)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl PendudukTerdaftar {
    /// Checks the resident at date `hari_ini`: every rule of [`Penduduk::validate`], the
    /// occupation present and bounded, the kecamatan of the address and the region of the
    /// family card in this district ([`di_kabupaten`]). Returns every problem found, each
    /// naming its field.
    pub fn validate(&self, hari_ini: NaiveDate) -> Result<(), Vec<FieldError>> {
        let mut e = self.penduduk.validate(hari_ini).err().unwrap_or_default();
        let p = self.pekerjaan.trim();
        if p.is_empty() {
            e.push(FieldError::new("pekerjaan", "pekerjaan wajib diisi"));
        } else if self.pekerjaan.chars().count() > MAX_PEKERJAAN {
            e.push(FieldError::new(
                "pekerjaan",
                format!("pekerjaan paling panjang {MAX_PEKERJAAN} karakter"),
            ));
        } else if self.pekerjaan.chars().any(char::is_control) {
            e.push(FieldError::new(
                "pekerjaan",
                "pekerjaan berisi karakter tidak sah",
            ));
        }
        let kec = self.penduduk.kecamatan;
        if !e.iter().any(|x| x.field == "kecamatan") && !di_kabupaten(kec) {
            e.push(FieldError::new(
                "kecamatan",
                format!(
                    "kecamatan {} bukan kecamatan Kabupaten Pesisir Selatan",
                    kec.dotted()
                ),
            ));
        }
        if !di_kabupaten(self.penduduk.no_kk.wilayah()) {
            e.push(FieldError::new(
                "no_kk",
                "kode wilayah No. KK bukan wilayah Kabupaten Pesisir Selatan",
            ));
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }

    /// Whether the register says this resident must hold a KTP-el on `pada`: active, and 17 or
    /// older or ever married ([`crate::eligibility::periksa`]).
    pub fn wajib_ktp_el(&self, pada: NaiveDate) -> bool {
        wajib_ktp_el(
            self.status,
            self.penduduk.tanggal_lahir,
            self.penduduk.status_perkawinan,
            pada,
        )
    }
}

/// Days ahead in which a resident turning 17 is listed for outreach (belum rekam lists).
pub const HARI_SEGERA_17: i64 = 30;

/// Where a resident of the register stands for the "who still has to record" (belum rekam)
/// lists on a day: the one rule both the hub's and the office's lists use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Golongan {
    /// Need not hold a KTP-el (yet), and does not turn 17 within [`HARI_SEGERA_17`] days; or
    /// deceased / moved out.
    Bukan,
    /// Not yet obliged, turns 17 on this day (within [`HARI_SEGERA_17`] days), not recorded.
    Segera17(NaiveDate),
    /// Must hold a KTP-el and has a successful recording.
    Terekam,
    /// Must hold a KTP-el and has none: the list.
    Belum,
}

impl PendudukTerdaftar {
    /// [`Golongan`] of this resident on `pada`, `terekam` telling whether the district holds a
    /// successful recording of the NIK.
    pub fn golongan(&self, pada: NaiveDate, terekam: bool) -> Golongan {
        if self.wajib_ktp_el(pada) {
            return if terekam {
                Golongan::Terekam
            } else {
                Golongan::Belum
            };
        }
        let batas = pada + chrono::TimeDelta::days(HARI_SEGERA_17);
        if !terekam && self.wajib_ktp_el(batas) {
            let tanggal = crate::eligibility::ulang_tahun_ke(
                self.penduduk.tanggal_lahir,
                crate::eligibility::UMUR_WAJIB_KTP,
            )
            .unwrap_or(batas);
            return Golongan::Segera17(tanggal);
        }
        Golongan::Bukan
    }
}

/// The rule of [`PendudukTerdaftar::wajib_ktp_el`] from the three fields it reads (for a
/// count that does not need the whole resident): active, and 17 or older or ever married on
/// `pada`.
pub fn wajib_ktp_el(
    status: StatusPenduduk,
    tanggal_lahir: NaiveDate,
    status_perkawinan: StatusPerkawinan,
    pada: NaiveDate,
) -> bool {
    status == StatusPenduduk::Aktif
        && crate::eligibility::periksa(tanggal_lahir, status_perkawinan, pada)
            .is_ok_and(|k| k.layak())
}

/// One resident in a response section: the register version of its last change, and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntriRegister {
    /// The register version this resident's last change brought the register to.
    pub seq: u64,
    /// The resident.
    pub data: PendudukTerdaftar,
}

/// What the agent sends: the register version it holds (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermintaanRegister {
    /// The highest sequence number the agent has stored.
    pub versi: u64,
}

/// What the hub answers: a bounded chunk of residents changed past the agent's version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BagianRegister {
    /// The hub's current (highest) register version.
    pub head: u64,
    /// The version the agent holds once it has stored `entri`.
    pub versi: u64,
    /// Whether residents past `versi` remain (ask again).
    pub more: bool,
    /// Residents in sequence order.
    pub entri: Vec<EntriRegister>,
}

impl PermintaanRegister {
    /// Encodes the request section.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(10);
        put_u64(&mut out, self.versi);
        out
    }

    /// Decodes the request section.
    pub fn decode(mut buf: &[u8]) -> Result<Self, WireError> {
        let r = &mut buf;
        let versi = get_u64(r, "register version")?;
        end(r)?;
        Ok(PermintaanRegister { versi })
    }
}

fn jk_code(j: JenisKelamin) -> u8 {
    match j {
        JenisKelamin::LakiLaki => 1,
        JenisKelamin::Perempuan => 2,
    }
}

const KAWIN: [StatusPerkawinan; 4] = StatusPerkawinan::SEMUA;

fn code_of<T: PartialEq>(all: &[T], v: &T) -> u8 {
    all.iter().position(|x| x == v).map_or(0, |i| i as u8)
}

fn of_code<T: Copy>(all: &[T], code: u8, field: &'static str) -> Result<T, WireError> {
    all.get(usize::from(code))
        .copied()
        .ok_or(WireError::Tag { field, tag: code })
}

fn invalid(field: &'static str) -> WireError {
    WireError::Invalid(field)
}

impl BagianRegister {
    /// Encodes the response section.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.entri.len() * 160);
        put_u64(&mut out, self.head);
        put_u64(&mut out, self.versi);
        out.push(u8::from(self.more));
        put_u64(&mut out, self.entri.len() as u64);
        for e in &self.entri {
            let d = &e.data;
            let p = &d.penduduk;
            put_u64(&mut out, e.seq);
            put_bytes(&mut out, p.nik.to_string().as_bytes());
            put_bytes(&mut out, p.no_kk.to_string().as_bytes());
            put_bytes(&mut out, p.nama.as_bytes());
            put_bytes(&mut out, p.tempat_lahir.as_bytes());
            put_u64(&mut out, p.tanggal_lahir.num_days_from_ce().max(0) as u64);
            out.push(jk_code(p.jenis_kelamin));
            out.push(code_of(&KAWIN, &p.status_perkawinan));
            out.push(code_of(&Agama::SEMUA, &d.agama));
            put_bytes(&mut out, d.pekerjaan.as_bytes());
            put_bytes(&mut out, p.alamat.as_bytes());
            put_u64(&mut out, u64::from(p.rt));
            put_u64(&mut out, u64::from(p.rw));
            put_bytes(&mut out, p.nagari.as_bytes());
            put_u64(&mut out, u64::from(p.kecamatan.as_u32()));
            out.push(code_of(&StatusPenduduk::SEMUA, &d.status));
        }
        out
    }

    /// Decodes the response section: every count and length bounded before allocation, every
    /// NIK, No. KK, date, code and enumeration parsed with the domain types.
    pub fn decode(mut buf: &[u8]) -> Result<Self, WireError> {
        use crate::penduduk::{MAX_ALAMAT, MAX_NAGARI, MAX_NAMA, MAX_TEMPAT_LAHIR};
        let r = &mut buf;
        let head = get_u64(r, "register head")?;
        let versi = get_u64(r, "register version")?;
        let more = match get_u8(r, "register more")? {
            0 => false,
            1 => true,
            tag => {
                return Err(WireError::Tag {
                    field: "register more",
                    tag,
                });
            }
        };
        let n = get_count(r, "register entry count", MAX_ENTRI_PER_BAGIAN)?;
        // Each entry takes at least 20 bytes: no allocation beyond what the body can hold.
        let mut entri = Vec::with_capacity(n.min(r.len() / 20));
        for _ in 0..n {
            let seq = get_u64(r, "register seq")?;
            let nik: Nik = get_string(r, "register nik", 16)?
                .parse()
                .map_err(|_| invalid("register nik"))?;
            let no_kk: NomorKk = get_string(r, "register no_kk", 16)?
                .parse()
                .map_err(|_| invalid("register no_kk"))?;
            let nama = get_string(r, "register nama", MAX_NAMA * 4)?;
            let tempat_lahir = get_string(r, "register tempat_lahir", MAX_TEMPAT_LAHIR * 4)?;
            let hari = get_u64(r, "register tanggal_lahir")?;
            let tanggal_lahir = i32::try_from(hari)
                .ok()
                .and_then(NaiveDate::from_num_days_from_ce_opt)
                .ok_or_else(|| invalid("register tanggal_lahir"))?;
            let jenis_kelamin = match get_u8(r, "register jenis_kelamin")? {
                1 => JenisKelamin::LakiLaki,
                2 => JenisKelamin::Perempuan,
                tag => {
                    return Err(WireError::Tag {
                        field: "register jenis_kelamin",
                        tag,
                    });
                }
            };
            let status_perkawinan = of_code(
                &KAWIN,
                get_u8(r, "register status_perkawinan")?,
                "register status_perkawinan",
            )?;
            let agama = of_code(
                &Agama::SEMUA,
                get_u8(r, "register agama")?,
                "register agama",
            )?;
            let pekerjaan = get_string(r, "register pekerjaan", MAX_PEKERJAAN * 4)?;
            let alamat = get_string(r, "register alamat", MAX_ALAMAT * 4)?;
            let rt =
                u16::try_from(get_u64(r, "register rt")?).map_err(|_| invalid("register rt"))?;
            let rw =
                u16::try_from(get_u64(r, "register rw")?).map_err(|_| invalid("register rw"))?;
            let nagari = get_string(r, "register nagari", MAX_NAGARI * 4)?;
            let kec = get_u64(r, "register kecamatan")?;
            let kecamatan = format!("{kec:06}")
                .parse::<KodeKecamatan>()
                .map_err(|_| invalid("register kecamatan"))?;
            let status = of_code(
                &StatusPenduduk::SEMUA,
                get_u8(r, "register status")?,
                "register status",
            )?;
            entri.push(EntriRegister {
                seq,
                data: PendudukTerdaftar {
                    penduduk: Penduduk {
                        nik,
                        no_kk,
                        nama,
                        tempat_lahir,
                        tanggal_lahir,
                        jenis_kelamin,
                        status_perkawinan,
                        alamat,
                        rt,
                        rw,
                        nagari,
                        kecamatan,
                    },
                    agama,
                    pekerjaan,
                    status,
                },
            });
        }
        end(r)?;
        Ok(BagianRegister {
            head,
            versi,
            more,
            entri,
        })
    }
}

/// The hub's head in a response section, read without decoding the residents.
pub fn head_of(mut section: &[u8]) -> Result<u64, WireError> {
    get_u64(&mut section, "register head")
}

fn end(r: &mut &[u8]) -> Result<(), WireError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(WireError::Trailing(r.len()))
    }
}

#[cfg(test)]
mod tests;
