//! The register book (Buku BHPPK) of a day: one line per application opened that day, with its
//! outcome, queue and proof numbers, operators, and the time of each step against the SOP
//! standard (late steps with their reason). The printable page, the CSV and the XLSX share these
//! rows; the CSV and the XLSX also share their columns ([`KOLOM`], [`sel_baris`]).

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
    /// Nomor Kartu Keluarga (family card number), 16 digits.
    pub no_kk: String,
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
            no_kk: pd.no_kk.to_string(),
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

/// The columns of the exported register book (CSV and XLSX), in order.
pub const KOLOM: [&str; 17] = [
    "No",
    "Jam datang",
    "NIK",
    "No. KK",
    "Nama",
    "L/P",
    "Alamat",
    "Hasil",
    "Nomor antrian",
    "Nomor bukti perekaman",
    "Operator registrasi",
    "Operator perekaman",
    "Langkah 1",
    "Langkah 2",
    "Langkah 3",
    "Langkah 4",
    "Terlambat",
];

/// One cell of the exported book: a number or a text (NIK and No. KK are text: a spreadsheet
/// would turn 16 digits into 1.30101E+15 and lose the last one).
#[derive(Debug, Clone, PartialEq)]
pub enum Sel {
    Angka(f64),
    Teks(String),
}

/// The cells of one line, one per [`KOLOM`].
pub fn sel_baris(b: &Baris) -> [Sel; 17] {
    let t = Sel::Teks;
    [
        Sel::Angka(b.no as f64),
        t(b.jam_datang.clone()),
        t(b.nik.clone()),
        t(b.no_kk.clone()),
        t(b.nama.clone()),
        t(b.jenis_kelamin.to_owned()),
        t(b.alamat.clone()),
        t(b.hasil.clone()),
        t(b.nomor_antrian
            .map(|n| format!("{n:03}"))
            .unwrap_or_default()),
        t(b.nomor_bukti.clone().unwrap_or_default()),
        t(b.operator_registrasi.clone()),
        t(b.operator_perekaman.clone()),
        t(menit_detik(b.detik_langkah[0])),
        t(menit_detik(b.detik_langkah[1])),
        t(menit_detik(b.detik_langkah[2])),
        t(menit_detik(b.detik_langkah[3])),
        t(b.terlambat.join("; ")),
    ]
}

/// A CSV cell: always quoted; a cell a spreadsheet would read as a formula (starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`. A lone `-` (a step that
/// never ran) stays as it is.
fn csv_field(s: &str) -> String {
    let s = if s != "-" && s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The register book as CSV (UTF-8, comma-separated, header line first).
pub fn csv(rows: &[Baris]) -> String {
    let mut out = KOLOM.join(",");
    out.push_str("\r\n");
    for b in rows {
        let line: Vec<String> = sel_baris(b)
            .iter()
            .map(|c| match c {
                Sel::Angka(n) => n.to_string(),
                Sel::Teks(t) => csv_field(t),
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The register book as an XLSX workbook (one sheet named after the day): the same columns as
/// the CSV, numbers as numbers and every other cell, NIK and No. KK included, as a text cell.
/// A text cell is never evaluated, so no formula can come from a resident's data.
pub fn xlsx(rows: &[Baris], tanggal: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(format!("BHPPK {tanggal}"))?;
    let bold = Format::new().set_bold();
    let teks = Format::new().set_num_format("@");
    for (c, k) in KOLOM.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *k, &bold)?;
    }
    for (r, b) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, sel) in sel_baris(b).iter().enumerate() {
            match sel {
                Sel::Angka(n) => ws.write_number(r, c as u16, *n)?,
                Sel::Teks(t) => ws.write_string_with_format(r, c as u16, t, &teks)?,
            };
        }
    }
    ws.set_column_width(2, 19)?;
    ws.set_column_width(3, 19)?;
    ws.set_column_width(4, 24)?;
    ws.set_column_width(6, 36)?;
    ws.set_column_width(9, 22)?;
    ws.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn baris(nama: &str, alamat: &str) -> Baris {
        Baris {
            no: 1,
            id: "p-1".into(),
            jam_datang: "08:05".into(),
            nik: "1301011705900001".into(),
            no_kk: "1301010101900009".into(),
            nama: nama.into(),
            jenis_kelamin: "L",
            alamat: alamat.into(),
            status: "terekam",
            hasil: "Terekam".into(),
            nomor_antrian: Some(7),
            nomor_bukti: Some("130101-20261202-0001".into()),
            operator_registrasi: "reg".into(),
            operator_perekaman: "rek".into(),
            detik_langkah: [Some(65), None, None, None],
            terlambat: vec![],
        }
    }

    #[test]
    fn csv_neutralises_cells_a_spreadsheet_would_evaluate() {
        for bad in ["=1+1", "+62 812", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            let text = csv(&[baris(bad, "Jl. Raya")]);
            let line = text.lines().nth(1).unwrap();
            let want = format!("\"'{}\"", bad.replace('"', "\"\""));
            assert!(line.contains(&want), "{bad:?} not neutralised: {line:?}");
        }
        // A plain cell, and the lone "-" of a step that never ran, stay as they are.
        let text = csv(&[baris("Budi \"Kecil\"", "Jl. Raya")]);
        let line = text.lines().nth(1).unwrap();
        assert!(line.contains(r#","Budi ""Kecil""","#), "{line}");
        assert!(line.contains(r#","1:05","-","-","-","#), "{line}");
        assert!(text.starts_with("No,Jam datang,NIK,No. KK,Nama,"), "{text}");
    }

    fn entry(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str) -> String {
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    /// The text of cell `r` (e.g. "C2"): it must be a shared-string (text) cell.
    fn text_cell(sheet: &str, shared: &str, r: &str) -> String {
        let at = sheet
            .find(&format!("<c r=\"{r}\""))
            .unwrap_or_else(|| panic!("no {r}"));
        let cell = &sheet[at..at + sheet[at..].find("</c>").unwrap()];
        assert!(cell.contains("t=\"s\""), "{r} is not a text cell: {cell}");
        let v: usize = cell[cell.find("<v>").unwrap() + 3..cell.find("</v>").unwrap()]
            .parse()
            .unwrap();
        let items: Vec<&str> = shared.split("<si>").skip(1).collect();
        let t = items[v];
        t[t.find('>').unwrap() + 1..t.find("</t>").unwrap()].to_owned()
    }

    #[test]
    fn xlsx_has_the_csv_columns_and_nik_and_kk_as_whole_text_cells() {
        let bytes = xlsx(&[baris("=1+1", "Jl. Raya")], "2026-12-02").unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = entry(&mut z, "xl/worksheets/sheet1.xml");
        let shared = entry(&mut z, "xl/sharedStrings.xml");
        for (i, k) in KOLOM.iter().enumerate() {
            let col = (b'A' + i as u8) as char;
            assert_eq!(text_cell(&sheet, &shared, &format!("{col}1")), *k);
        }
        assert_eq!(text_cell(&sheet, &shared, "C2"), "1301011705900001");
        assert_eq!(text_cell(&sheet, &shared, "D2"), "1301010101900009");
        // A resident's "formula" is text, never a formula cell.
        assert_eq!(text_cell(&sheet, &shared, "E2"), "=1+1");
        assert!(!sheet.contains("<f>"), "{sheet}");
        assert!(sheet.contains("<c r=\"A2\"") && !text_cell_is(&sheet, "A2"));
    }

    fn text_cell_is(sheet: &str, r: &str) -> bool {
        let at = sheet.find(&format!("<c r=\"{r}\"")).unwrap();
        let cell = &sheet[at..at + sheet[at..].find("</c>").unwrap()];
        cell.contains("t=\"s\"")
    }
}
