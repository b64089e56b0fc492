//! The targets editor `GET /target`, `POST /target` (admin only): the wajib KTP-el targets per
//! year, kecamatan and nagari, each kecamatan's target for the year and its coverage, and a
//! form to set one number. A posted row is checked by the same rules as a targets file
//! ([`crate::statistik::target::baca_csv`]: 422 naming the field), stored with
//! `target_simpan` and audited (`target.set`, with the user's name).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use maud::{Markup, html};
use serde::Deserialize;

use super::WebState;
use super::ekspor::{self, Format, Sel, Tabel};
use super::rentang::{self, Pilihan};
use super::sesi::{self, Admin, Masuk, RequireRole, blocking, json_error};
use super::tampilan::{self, Teks};
use crate::statistik::target::{self, Target};

/// The targets table.
pub fn tabel(t: &Teks, rows: &[Target]) -> Vec<Tabel> {
    let d = t.dasbor;
    let mut a = Tabel::baru(
        "target",
        d.menu_target,
        &[d.tahun, d.kode, t.nagari, d.wajib_ktp_el],
    );
    for r in rows {
        a.baris.push(vec![
            Sel::Bulat(r.tahun as u64),
            Sel::teks(&r.kecamatan),
            if r.nagari.is_empty() {
                Sel::teks(d.seluruh_kecamatan)
            } else {
                Sel::teks(&r.nagari)
            },
            Sel::Bulat(r.wajib_ktp_el),
        ]);
    }
    let mut b = Tabel::baru(
        "per_kecamatan",
        d.target_per_kecamatan,
        &[d.tahun, d.kode, d.target],
    );
    let mut tahun: Vec<i32> = rows.iter().map(|r| r.tahun).collect();
    tahun.dedup();
    for y in tahun {
        for (k, n) in target::per_kecamatan(rows, y) {
            b.baris
                .push(vec![Sel::Bulat(y as u64), Sel::teks(k), Sel::Bulat(n)]);
        }
    }
    vec![a, b]
}

fn isi(t: &Teks, m: &Masuk, rows: &[Target]) -> Markup {
    let d = t.dasbor;
    let tahun = rentang::hari_ini().year();
    html! {
        h1 { (d.menu_target) }
        form.target method="post" action="/target" {
            input type="hidden" name="csrf" value=(m.csrf);
            label for="tahun" { (d.tahun) }
            input #tahun type="text" name="tahun" inputmode="numeric" value=(tahun) required;
            label for="kecamatan" { (d.kode) }
            input #kecamatan type="text" name="kecamatan" inputmode="numeric" maxlength="6" required;
            label for="nagari" { (t.nagari) " (" (d.kosong_seluruh) ")" }
            input #nagari type="text" name="nagari" maxlength="100";
            label for="wajib_ktp_el" { (d.wajib_ktp_el) }
            input #wajib_ktp_el type="text" name="wajib_ktp_el" inputmode="numeric" required;
            button #simpan-target type="submit" { (d.simpan_target) }
        }
        @for tb in &tabel(t, rows) { (ekspor::html_tabel(tb, "", t.tidak_ada)) }
    }
}

/// `GET /target` (admin).
pub async fn tampil(
    State(st): State<WebState>,
    headers: HeaderMap,
    RequireRole(m, _): RequireRole<Admin>,
    Query(p): Query<Pilihan>,
) -> Response {
    let t = Teks::dari(&headers);
    let format = match p.format() {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let storage = st.storage.clone();
    let rows = match blocking(move || storage.statistik().target_semua()).await {
        Ok(x) => x,
        Err(e) => return e,
    };
    if format != Format::Html {
        return ekspor::jawab("target", format, p.tabel.as_deref(), &tabel(t, &rows));
    }
    tampilan::html_response(
        StatusCode::OK,
        tampilan::halaman(t, Some(&m), t.dasbor.menu_target, isi(t, &m, &rows)),
    )
}

/// The posted target.
#[derive(Debug, Deserialize)]
pub struct TargetForm {
    /// Year.
    #[serde(default)]
    pub tahun: String,
    /// Kecamatan code.
    #[serde(default)]
    pub kecamatan: String,
    /// Nagari name (empty: the whole kecamatan).
    #[serde(default)]
    pub nagari: String,
    /// The number.
    #[serde(default)]
    pub wajib_ktp_el: String,
}

/// Checks a posted target with the targets file's rules; the field named on error.
pub fn periksa(f: &TargetForm) -> Result<Target, (String, &'static str)> {
    for (v, field) in [
        (&f.tahun, "tahun"),
        (&f.kecamatan, "kecamatan"),
        (&f.nagari, "nagari"),
        (&f.wajib_ktp_el, "wajib_ktp_el"),
    ] {
        if v.contains([',', '\n', '\r']) {
            return Err(("koma atau baris baru tidak boleh".into(), field));
        }
    }
    let csv = format!(
        "{}\n{},{},{},{}\n",
        target::HEADER.join(","),
        f.tahun.trim(),
        f.kecamatan.trim(),
        f.nagari.trim(),
        f.wajib_ktp_el.trim()
    );
    match target::baca_csv(&csv) {
        Ok(mut rows) if rows.len() == 1 => Ok(rows.remove(0)),
        Ok(_) => Err(("baris tidak sah".into(), "tahun")),
        Err(salah) => {
            let s = &salah[0];
            Err((s.masalah.clone(), s.kolom))
        }
    }
}

/// `POST /target` (admin, CSRF checked by the middleware): sets one target, audited.
pub async fn simpan(
    State(st): State<WebState>,
    RequireRole(m, _): RequireRole<Admin>,
    Form(f): Form<TargetForm>,
) -> Response {
    let row = match periksa(&f) {
        Ok(r) => r,
        Err((masalah, field)) => {
            return json_error(StatusCode::UNPROCESSABLE_ENTITY, &masalah, field);
        }
    };
    let detail = format!(
        "tahun {} kecamatan {} nagari '{}' wajib_ktp_el {}",
        row.tahun, row.kecamatan, row.nagari, row.wajib_ktp_el
    );
    let storage = st.storage.clone();
    let r = row.clone();
    if let Err(e) = blocking(move || storage.statistik().target_simpan(&[r])).await {
        return e;
    }
    if let Err(e) = sesi::audit(&st, &m.nama, "target.set", None, detail).await {
        return e;
    }
    Redirect::to("/target").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(tahun: &str, kec: &str, nagari: &str, n: &str) -> TargetForm {
        TargetForm {
            tahun: tahun.into(),
            kecamatan: kec.into(),
            nagari: nagari.into(),
            wajib_ktp_el: n.into(),
        }
    }

    #[test]
    fn posted_targets_follow_the_file_rules() {
        let ok = periksa(&f("2026", "130101", "", "41250")).unwrap();
        assert_eq!(
            (ok.tahun, ok.kecamatan.as_str(), ok.wajib_ktp_el),
            (2026, "130101", 41250)
        );
        assert_eq!(
            periksa(&f("2026", "130101", "", "-5")).unwrap_err().1,
            "wajib_ktp_el"
        );
        assert_eq!(
            periksa(&f("1999", "130101", "", "5")).unwrap_err().1,
            "tahun"
        );
        assert_eq!(
            periksa(&f("2026", "13010", "", "5")).unwrap_err().1,
            "kecamatan"
        );
        assert_eq!(
            periksa(&f("2026", "130101", "a,b", "5")).unwrap_err().1,
            "nagari"
        );
    }
}
