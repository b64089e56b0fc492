//! The register book (Buku BHPPK) of a day: one line per application opened that day, with its
//! outcome, queue and proof numbers, operators, and the time of each step against the SOP
//! standard (late steps with their reason). Printable page and CSV share these rows.

use rekam_shared::workflow::{Aksi, Langkah, Peran, Status};
use rusqlite::Connection;
use serde::Serialize;

use super::input::label_alasan;
use super::store;
use crate::web::error::ApiError;

/// One line of the register book.
#[derive(Debug, Clone, Serialize)]
pub struct Baris {
    pub no: usize,
    pub id: String,
    pub jam_datang: String,
    pub nik: String,
    pub nama: String,
    pub jenis_kelamin: &'static str,
    pub alamat: String,
    pub status: &'static str,
    pub hasil: String,
    pub nomor_antrian: Option<u32>,
    pub nomor_bukti: Option<String>,
    pub operator_registrasi: String,
    pub operator_perekaman: String,
    /// Seconds of each step 1-4 (summed over repeated runs); None if it never ran.
    pub detik_langkah: [Option<i64>; 4],
    /// Late steps with their reasons, e.g. "Langkah 3: Gangguan teknis".
    pub terlambat: Vec<String>,
}

/// Indonesian label of a status.
pub fn label_status(s: &Status) -> String {
    match s {
        Status::Baru => "Baru".into(),
        Status::PenyerahanBerkas => "Penyerahan berkas".into(),
        Status::BerkasDiterima => "Berkas diterima".into(),
        Status::BerkasDikembalikan { alasan } => {
            format!("Berkas dikembalikan: {}", label_alasan(alasan))
        }
        Status::PengecekanBiometrik => "Pengecekan biometrik".into(),
        Status::SudahRekam { keterangan } => format!("Sudah rekam: {keterangan}"),
        Status::MenungguPerekaman { nomor_antrian } => {
            format!("Menunggu perekaman, antrian {nomor_antrian}")
        }
        Status::Dipanggil { nomor_antrian } => format!("Sedang direkam, antrian {nomor_antrian}"),
        Status::DikembalikanKeRegistrasi { alasan } => {
            format!("Perekaman gagal: {}", label_alasan(alasan))
        }
        Status::Terekam { nomor_bukti } => format!("Terekam, bukti {nomor_bukti}"),
        Status::Diserahkan { nomor_bukti } => {
            format!("Selesai, diserahkan (bukti {nomor_bukti})")
        }
    }
}

/// The register book of local day `tanggal` (YYYY-MM-DD).
pub fn buku(
    conn: &Connection,
    tanggal: &str,
    tz: chrono::FixedOffset,
) -> Result<Vec<Baris>, ApiError> {
    let rows = store::load_where(conn, "tanggal = ?1 ORDER BY created_at, id", [tanggal])?;
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let p = &row.permohonan;
        let pd = p.penduduk();
        let mut detik = [None; 4];
        let mut terlambat = Vec::new();
        for d in p.riwayat_langkah() {
            let k = (d.langkah.nomor() - 1) as usize;
            if let Some(s) = d.detik {
                detik[k] = Some(detik[k].unwrap_or(0) + s);
            }
            if d.terlambat {
                terlambat.push(format!(
                    "Langkah {}: {}",
                    d.langkah.nomor(),
                    d.alasan_terlambat
                        .as_ref()
                        .map(label_alasan)
                        .unwrap_or_else(|| "tanpa alasan".into())
                ));
            }
        }
        let by_role = |r: Peran| {
            let mut names: Vec<&str> = p
                .peristiwa()
                .iter()
                .filter(|e| match r {
                    Peran::OperatorRegistrasi => matches!(
                        e.aksi,
                        Aksi::PermohonanDibuat
                            | Aksi::BerkasDiterima
                            | Aksi::BerkasBenar
                            | Aksi::BerkasDitolak { .. }
                            | Aksi::SudahPernahRekam { .. }
                            | Aksi::NomorAntrianDiberikan { .. }
                    ),
                    _ => matches!(
                        e.aksi,
                        Aksi::Dipanggil
                            | Aksi::PerekamanBerhasil { .. }
                            | Aksi::PerekamanGagal { .. }
                            | Aksi::DiterimaPenduduk
                    ),
                })
                .map(|e| e.operator.as_str())
                .collect();
            names.dedup();
            names.join(", ")
        };
        out.push(Baris {
            no: i + 1,
            id: p.id().to_owned(),
            jam_datang: p
                .dibuka_pada()
                .map(|t| t.with_timezone(&tz).format("%H:%M").to_string())
                .unwrap_or_default(),
            nik: pd.nik.to_string(),
            nama: pd.nama.clone(),
            jenis_kelamin: match pd.jenis_kelamin {
                rekam_shared::penduduk::JenisKelamin::LakiLaki => "L",
                rekam_shared::penduduk::JenisKelamin::Perempuan => "P",
            },
            alamat: format!(
                "{}, RT {:03}/RW {:03}, {}",
                pd.alamat, pd.rt, pd.rw, pd.nagari
            ),
            status: p.status().nama(),
            hasil: label_status(p.status()),
            nomor_antrian: row.nomor_antrian,
            nomor_bukti: row.nomor_bukti.clone(),
            operator_registrasi: by_role(Peran::OperatorRegistrasi),
            operator_perekaman: by_role(Peran::OperatorPerekaman),
            detik_langkah: detik,
            terlambat,
        });
    }
    Ok(out)
}

/// `m:ss` of a duration.
pub fn menit_detik(s: Option<i64>) -> String {
    match s {
        Some(s) => format!("{}:{:02}", s / 60, s % 60),
        None => "-".into(),
    }
}

fn csv_field(s: &str) -> String {
    // Quote everything; neutralise spreadsheet formulas.
    let s = if s.len() > 1 && s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The register book as CSV (UTF-8, comma-separated, header line first).
pub fn csv(rows: &[Baris]) -> String {
    let mut out = String::from(
        "No,Jam datang,NIK,Nama,L/P,Alamat,Hasil,Nomor antrian,Nomor bukti perekaman,Operator registrasi,Operator perekaman,Langkah 1,Langkah 2,Langkah 3,Langkah 4,Terlambat\r\n",
    );
    for b in rows {
        let fields = [
            b.no.to_string(),
            b.jam_datang.clone(),
            b.nik.clone(),
            b.nama.clone(),
            b.jenis_kelamin.to_owned(),
            b.alamat.clone(),
            b.hasil.clone(),
            b.nomor_antrian
                .map(|n| format!("{n:03}"))
                .unwrap_or_default(),
            b.nomor_bukti.clone().unwrap_or_default(),
            b.operator_registrasi.clone(),
            b.operator_perekaman.clone(),
            menit_detik(b.detik_langkah[0]),
            menit_detik(b.detik_langkah[1]),
            menit_detik(b.detik_langkah[2]),
            menit_detik(b.detik_langkah[3]),
            b.terlambat.join("; "),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The SOP time standard of each step, for the page header.
pub fn standar() -> Vec<(u8, &'static str, &'static str)> {
    Langkah::SEMUA
        .iter()
        .map(|l| (l.nomor(), l.label(), l.standar()))
        .collect()
}

/// Time-standard figures of a day (the shared `workflow::statistik`): the office as a whole and
/// per operator.
#[derive(Debug, Clone, Serialize)]
pub struct Statistik {
    pub tanggal: String,
    pub kantor: rekam_shared::workflow::statistik::Ringkasan,
    pub per_operator: std::collections::BTreeMap<
        String,
        Vec<rekam_shared::workflow::statistik::RingkasanLangkah>,
    >,
}

/// The figures of local day `tanggal`.
pub fn statistik(conn: &Connection, tanggal: &str) -> Result<Statistik, ApiError> {
    use rekam_shared::workflow::statistik;
    let rows = store::load_where(conn, "tanggal = ?1 ORDER BY created_at, id", [tanggal])?;
    let ps: Vec<_> = rows.iter().map(|r| &r.permohonan).collect();
    Ok(Statistik {
        tanggal: tanggal.to_owned(),
        kantor: statistik::ringkas(ps.iter().copied()),
        per_operator: statistik::per_operator(ps.iter().copied()),
    })
}
