//! Desk input as typed by an operator (all text, from a form or JSON) and its conversion into
//! the shared domain types, naming the field at fault for every rejection.

use chrono::NaiveDate;
use rekam_shared::kk::NomorKk;
use rekam_shared::nik::Nik;
use rekam_shared::penduduk::{JenisKelamin, Penduduk, StatusPerkawinan};
use rekam_shared::region::KodeKecamatan;
use rekam_shared::workflow::{AlasanGagal, AlasanPenolakan, AlasanTerlambat};
use serde::{Deserialize, Serialize};

use crate::web::error::ApiError;

/// The resident's data as entered at the registration desk.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PendudukInput {
    pub nik: String,
    pub no_kk: String,
    pub nama: String,
    pub tempat_lahir: String,
    /// `YYYY-MM-DD`.
    pub tanggal_lahir: String,
    /// `laki_laki` | `perempuan`.
    pub jenis_kelamin: String,
    /// `belum_kawin` | `kawin` | `cerai_hidup` | `cerai_mati`.
    pub status_perkawinan: String,
    pub alamat: String,
    pub rt: String,
    pub rw: String,
    pub nagari: String,
    /// Six-digit kecamatan code of the address.
    pub kecamatan: String,
}

impl PendudukInput {
    /// The input of an existing record (to prefill the form).
    pub fn from_penduduk(p: &Penduduk) -> Self {
        PendudukInput {
            nik: p.nik.to_string(),
            no_kk: p.no_kk.to_string(),
            nama: p.nama.clone(),
            tempat_lahir: p.tempat_lahir.clone(),
            tanggal_lahir: p.tanggal_lahir.to_string(),
            jenis_kelamin: enum_name(&p.jenis_kelamin),
            status_perkawinan: enum_name(&p.status_perkawinan),
            alamat: p.alamat.clone(),
            rt: p.rt.to_string(),
            rw: p.rw.to_string(),
            nagari: p.nagari.clone(),
            kecamatan: p.kecamatan.to_string(),
        }
    }

    /// The fields that differ from `dulu` (e.g. the register's data): (field, old, new).
    pub fn beda(&self, dulu: &PendudukInput) -> Vec<(&'static str, String, String)> {
        let kolom = |p: &PendudukInput| {
            [
                ("nik", p.nik.clone()),
                ("no_kk", p.no_kk.clone()),
                ("nama", p.nama.clone()),
                ("tempat_lahir", p.tempat_lahir.clone()),
                ("tanggal_lahir", p.tanggal_lahir.clone()),
                ("jenis_kelamin", p.jenis_kelamin.clone()),
                ("status_perkawinan", p.status_perkawinan.clone()),
                ("alamat", p.alamat.clone()),
                ("rt", p.rt.clone()),
                ("rw", p.rw.clone()),
                ("nagari", p.nagari.clone()),
                ("kecamatan", p.kecamatan.clone()),
            ]
        };
        kolom(dulu)
            .into_iter()
            .zip(kolom(self))
            .filter(|((_, a), (_, b))| a != b)
            .map(|((k, a), (_, b))| (k, a, b))
            .collect()
    }

    /// Parses and validates (at local date `hari_ini`) into a [`Penduduk`].
    pub fn parse(&self, hari_ini: NaiveDate) -> Result<Penduduk, ApiError> {
        let nik: Nik = self
            .nik
            .trim()
            .parse()
            .map_err(|e: rekam_shared::nik::NikError| ApiError::field("nik", e.to_string()))?;
        let no_kk: NomorKk = self
            .no_kk
            .trim()
            .parse()
            .map_err(|e: rekam_shared::kk::KkError| ApiError::field("no_kk", e.to_string()))?;
        let tanggal_lahir = NaiveDate::parse_from_str(self.tanggal_lahir.trim(), "%Y-%m-%d")
            .map_err(|_| {
                ApiError::field("tanggal_lahir", "tanggal lahir harus berformat TTTT-BB-HH")
            })?;
        let jenis_kelamin: JenisKelamin = parse_enum(&self.jenis_kelamin).ok_or_else(|| {
            ApiError::field("jenis_kelamin", "jenis kelamin: laki_laki atau perempuan")
        })?;
        let status_perkawinan: StatusPerkawinan =
            parse_enum(&self.status_perkawinan).ok_or_else(|| {
                ApiError::field(
                    "status_perkawinan",
                    "status perkawinan: belum_kawin, kawin, cerai_hidup atau cerai_mati",
                )
            })?;
        let rt = self
            .rt
            .trim()
            .parse::<u16>()
            .map_err(|_| ApiError::field("rt", "RT harus angka 1 sampai 999"))?;
        let rw = self
            .rw
            .trim()
            .parse::<u16>()
            .map_err(|_| ApiError::field("rw", "RW harus angka 1 sampai 999"))?;
        let kecamatan: KodeKecamatan = self
            .kecamatan
            .trim()
            .parse()
            .map_err(|_| ApiError::field("kecamatan", "kode kecamatan harus 6 angka"))?;
        let p = Penduduk {
            nik,
            no_kk,
            nama: self.nama.trim().to_owned(),
            tempat_lahir: self.tempat_lahir.trim().to_owned(),
            tanggal_lahir,
            jenis_kelamin,
            status_perkawinan,
            alamat: self.alamat.trim().to_owned(),
            rt,
            rw,
            nagari: self.nagari.trim().to_owned(),
            kecamatan,
        };
        if let Err(errors) = p.validate(hari_ini)
            && let Some(first) = errors.into_iter().next()
        {
            return Err(ApiError::field(first.field, first.error));
        }
        Ok(p)
    }
}

/// serde snake_case name of a unit enum variant.
pub fn enum_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Parses a unit enum variant from its snake_case name.
pub fn parse_enum<T: for<'de> Deserialize<'de>>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_owned())).ok()
}

/// A reason chosen from a list, with free text for `lainnya` (other).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AlasanInput {
    /// The reason's snake_case name, e.g. `berkas_tidak_lengkap`, `gangguan_teknis`, `lainnya`.
    pub alasan: String,
    /// Description (required for `lainnya`).
    pub keterangan: String,
}

fn tagged<T: for<'de> Deserialize<'de>>(field: &str, a: &AlasanInput) -> Result<T, ApiError> {
    let kind = a.alasan.trim();
    if kind.is_empty() {
        return Err(ApiError::field(field, "alasan wajib dipilih"));
    }
    let json = if kind == "lainnya" {
        serde_json::json!({"type": "lainnya", "keterangan": a.keterangan.trim()})
    } else {
        serde_json::json!({"type": kind})
    };
    serde_json::from_value(json)
        .map_err(|_| ApiError::field(field, format!("alasan tidak dikenal: {kind}")))
}

impl AlasanInput {
    /// As a reason for returning documents.
    pub fn penolakan(&self, field: &str) -> Result<AlasanPenolakan, ApiError> {
        tagged(field, self)
    }
    /// As a reason for a failed recording.
    pub fn gagal(&self, field: &str) -> Result<AlasanGagal, ApiError> {
        tagged(field, self)
    }
    /// As a late reason; `None` when nothing was chosen.
    pub fn terlambat(&self, field: &str) -> Result<Option<AlasanTerlambat>, ApiError> {
        if self.alasan.trim().is_empty() {
            return Ok(None);
        }
        tagged(field, self).map(Some)
    }
}

/// Indonesian label of a reason value.
pub fn label_alasan<T: Serialize>(v: &T) -> String {
    let j = serde_json::to_value(v).unwrap_or_default();
    let kind = j.get("type").and_then(|t| t.as_str()).unwrap_or("");
    let ket = j.get("keterangan").and_then(|t| t.as_str()).unwrap_or("");
    let base = match kind {
        "berkas_tidak_lengkap" => "Berkas persyaratan tidak lengkap",
        "berkas_tidak_benar" => "Berkas persyaratan tidak benar",
        "belum_memenuhi_syarat" => "Belum memenuhi syarat (belum 17 tahun dan belum pernah kawin)",
        "tidak_hadir_sendiri" => "Penduduk tidak hadir sendiri (tidak boleh diwakili)",
        "tidak_dapat_direkam" => "Tidak dapat direkam hari ini",
        "gangguan_teknis" => "Gangguan teknis",
        "kualitas_biometrik_buruk" => "Kualitas biometrik buruk",
        "penduduk_tidak_hadir" => "Penduduk tidak hadir",
        "antrian_panjang" => "Antrian panjang",
        "lainnya" => "Lainnya",
        other => other,
    };
    if ket.is_empty() {
        base.to_owned()
    } else {
        format!("{base}: {ket}")
    }
}

/// The reasons offered at the desk: (value, label).
pub const ALASAN_PENOLAKAN: &[(&str, &str)] = &[
    ("berkas_tidak_lengkap", "Berkas persyaratan tidak lengkap"),
    ("berkas_tidak_benar", "Berkas persyaratan tidak benar"),
    ("belum_memenuhi_syarat", "Belum memenuhi syarat"),
    ("tidak_hadir_sendiri", "Tidak hadir sendiri (diwakili)"),
    ("tidak_dapat_direkam", "Tidak dapat direkam hari ini"),
    ("lainnya", "Lainnya"),
];
/// Reasons of a failed recording.
pub const ALASAN_GAGAL: &[(&str, &str)] = &[
    ("gangguan_teknis", "Gangguan teknis"),
    ("kualitas_biometrik_buruk", "Kualitas biometrik buruk"),
    (
        "penduduk_tidak_hadir",
        "Penduduk tidak hadir saat dipanggil",
    ),
    ("lainnya", "Lainnya"),
];
/// Late reasons.
pub const ALASAN_TERLAMBAT: &[(&str, &str)] = &[
    ("gangguan_teknis", "Gangguan teknis"),
    ("penduduk_tidak_hadir", "Penduduk tidak hadir"),
    ("antrian_panjang", "Antrian panjang"),
    ("lainnya", "Lainnya"),
];

/// The requirement documents (berkas persyaratan) on the desk checklist: (value, label).
pub const BERKAS: &[(&str, &str)] = &[
    ("hadir_sendiri", "Penduduk hadir sendiri (tidak diwakili)"),
    ("kk", "Kartu Keluarga (asli atau fotokopi)"),
    (
        "buku_nikah",
        "Buku/akta nikah (hanya bila belum 17 tahun dan sudah/pernah kawin)",
    ),
];
