//! Tables (tabel) of the dashboard pages and their exports. Every table a page shows is a
//! [`Tabel`]: the page renders it as HTML ([`html_tabel`]) and the same value is exported with
//! `?format=csv&tabel=ID` ([`csv`]) or `?format=xlsx` ([`xlsx`], every table of the page, one
//! sheet each). Codes, NIK and No. KK are [`Sel::Teks`]: TEXT cells in XLSX (`write_string`),
//! never numbers. CSV cells starting with `= + - @ TAB CR` get a leading `'` (no formula
//! injection in a spreadsheet). Answers are attachments and never cached.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::sesi::json_error;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Sel {
    /// Text (codes, NIK, names, dates): a text cell in XLSX.
    Teks(String),
    /// A count.
    Bulat(u64),
    /// A decimal (percent, mean), shown with one decimal.
    Desimal(f64),
    /// Text linking to a page of the dashboard (text only in the exports).
    Tautan(String, String),
    /// No value ("—").
    Kosong,
}

impl Sel {
    /// Text cell from anything printable.
    pub fn teks(s: impl Into<String>) -> Sel {
        Sel::Teks(s.into())
    }

    /// The cell as shown on the page and in CSV.
    pub fn tampil(&self) -> String {
        match self {
            Sel::Teks(s) | Sel::Tautan(s, _) => s.clone(),
            Sel::Bulat(n) => n.to_string(),
            Sel::Desimal(v) => format!("{v:.1}"),
            Sel::Kosong => KOSONG.to_owned(),
        }
    }
}

/// What a missing value shows.
pub const KOSONG: &str = "—";

/// One table of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabel {
    /// Its id on the page and in `?tabel=ID` (also the file and sheet name).
    pub id: &'static str,
    /// Heading shown above it.
    pub judul: String,
    /// Column headings.
    pub kolom: Vec<String>,
    /// Rows.
    pub baris: Vec<Vec<Sel>>,
    /// Row indexes to highlight (`tr.sorot`).
    pub sorot: Vec<usize>,
}

impl Tabel {
    /// An empty table.
    pub fn baru(id: &'static str, judul: impl Into<String>, kolom: &[&str]) -> Tabel {
        Tabel {
            id,
            judul: judul.into(),
            kolom: kolom.iter().map(|s| (*s).to_owned()).collect(),
            baris: Vec::new(),
            sorot: Vec::new(),
        }
    }
}

/// The table as HTML with its heading and its export links (`query` is the page's query
/// string without `format`/`tabel`, so that the export shows the same range).
pub fn html_tabel(t: &Tabel, query: &str, kosong: &str) -> Markup {
    let sep = if query.is_empty() { "" } else { "&" };
    html! {
        section.tabel id={ "bagian-" (t.id) } {
            h2 { (t.judul) }
            p.ekspor {
                a.csv href={ "?" (query) (sep) "format=csv&tabel=" (t.id) } { "CSV" }
                " · "
                a.xlsx href={ "?" (query) (sep) "format=xlsx" } { "XLSX" }
            }
            @if t.baris.is_empty() { p { (kosong) } } @else {
                table id=(t.id) {
                    thead { tr { @for k in &t.kolom { th { (k) } } } }
                    tbody {
                        @for (i, r) in t.baris.iter().enumerate() {
                            tr.sorot[t.sorot.contains(&i)] {
                                @for c in r {
                                    @match c {
                                        Sel::Teks(_) | Sel::Kosong => td { (c.tampil()) },
                                        Sel::Tautan(s, href) => td { a href=(href) { (s) } },
                                        _ => td.angka { (c.tampil()) },
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A CSV field: neutralised against formula injection, quoted when needed.
pub fn csv_sel(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The table as CSV (UTF-8, comma, CRLF, header line).
pub fn csv(t: &Tabel) -> String {
    let mut out = String::new();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .map(|c| csv_sel(c))
            .collect::<Vec<_>>()
            .join(",")
    };
    out.push_str(&line(t.kolom.clone()));
    out.push_str("\r\n");
    for r in &t.baris {
        out.push_str(&line(r.iter().map(Sel::tampil).collect()));
        out.push_str("\r\n");
    }
    out
}

/// Every table as one sheet of an XLSX workbook; text cells as strings, numbers as numbers.
pub fn xlsx(tabel: &[Tabel]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for t in tabel {
        let ws = wb.add_worksheet();
        // Sheet names: at most 31 characters.
        ws.set_name(t.id.chars().take(31).collect::<String>())?;
        for (c, k) in t.kolom.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, k, &bold)?;
        }
        for (r, row) in t.baris.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, sel) in row.iter().enumerate() {
                let c = c as u16;
                match sel {
                    Sel::Teks(s) | Sel::Tautan(s, _) => ws.write_string(r, c, s)?,
                    Sel::Bulat(n) => ws.write_number(r, c, *n as f64)?,
                    Sel::Desimal(v) => ws.write_number(r, c, (*v * 10.0).round() / 10.0)?,
                    Sel::Kosong => ws.write_string(r, c, KOSONG)?,
                };
            }
        }
    }
    wb.save_to_buffer()
}

/// `format` of a page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The HTML page.
    Html,
    /// One table as CSV.
    Csv,
    /// All tables as XLSX.
    Xlsx,
}

impl Format {
    /// Parses `?format=`; a 400 naming the field otherwise.
    pub fn dari(s: Option<&str>) -> Result<Format, super::rentang::Tolak> {
        match s.unwrap_or("") {
            "" | "html" => Ok(Format::Html),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(super::rentang::Tolak {
                pesan: "format harus csv atau xlsx",
                field: "format",
            }),
        }
    }
}

fn lampiran(nama: &str, jenis: &'static str, isi: Vec<u8>) -> Response {
    let mut r = (StatusCode::OK, isi).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(jenis));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{nama}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The export answer of a page named `halaman` with tables `tabel`: CSV of the table `id`
/// (the first when absent; 400 naming `tabel` when unknown) or XLSX of all.
pub fn jawab(halaman: &str, format: Format, id: Option<&str>, tabel: &[Tabel]) -> Response {
    match format {
        Format::Csv => {
            let t = match id {
                None => tabel.first(),
                Some(id) => tabel.iter().find(|t| t.id == id),
            };
            let Some(t) = t else {
                return json_error(StatusCode::BAD_REQUEST, "tabel tidak dikenal", "tabel");
            };
            lampiran(
                &format!("rekam-{halaman}-{}.csv", t.id),
                "text/csv; charset=utf-8",
                csv(t).into_bytes(),
            )
        }
        Format::Xlsx => match xlsx(tabel) {
            Ok(b) => lampiran(
                &format!("rekam-{halaman}.xlsx"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                b,
            ),
            Err(e) => {
                tracing::error!(error = %e, "web: xlsx failed");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, "xlsx gagal", "")
            }
        },
        Format::Html => json_error(StatusCode::BAD_REQUEST, "bukan ekspor", "format"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_neutralises_formulas_and_quotes() {
        for s in ["=1+1", "+62", "-5", "@SUM(A1)", "\tx", "\rx"] {
            assert!(
                csv_sel(s).trim_start_matches('"').starts_with('\''),
                "{s:?}"
            );
        }
        assert_eq!(csv_sel("1302011201990001"), "1302011201990001");
        assert_eq!(csv_sel("a,b"), "\"a,b\"");
        assert_eq!(csv_sel("say \"hi\""), "\"say \"\"hi\"\"\"");
        let mut t = Tabel::baru("x", "X", &["nik", "n"]);
        t.baris
            .push(vec![Sel::teks("=HYPERLINK(\"x\")"), Sel::Bulat(3)]);
        assert_eq!(csv(&t), "nik,n\r\n\"'=HYPERLINK(\"\"x\"\")\",3\r\n");
    }

    #[test]
    fn xlsx_is_a_zip_with_the_tables_as_sheets() {
        let mut t = Tabel::baru("ikhtisar", "X", &["nik", "n"]);
        t.baris
            .push(vec![Sel::teks("1302011201990001"), Sel::Bulat(3)]);
        let b = xlsx(&[t]).unwrap();
        assert_eq!(&b[..2], b"PK");
    }
}
