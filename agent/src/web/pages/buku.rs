//! The register book page (Buku BHPPK): one line per application of a day, the SOP's time
//! standards, the service-time statistics per step and per operator, links to the CSV and the
//! XLSX, and a print button (the printed book is A4 landscape, see `static/rekam.css`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{galat_page, page, respond};
use super::slip::kop;
use crate::desk::buku;
use crate::web::AppState;
use crate::web::api::{TanggalQuery, tanggal_or_today};
use crate::web::error::ApiError;
use crate::web::session::SesiHalaman;

/// `GET /buku[?tanggal=]`
pub async fn get_(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Query(q): Query<TanggalQuery>,
) -> Response {
    let t = match tanggal_or_today(&state, q.tanggal.as_deref()) {
        Ok(t) => t,
        Err(e) => return galat_page("Galat", Some(&sesi.operator), &e),
    };
    let tz = state.config.offset();
    let t2 = t.clone();
    let data = state
        .db
        .read(move |c| Ok::<_, ApiError>((buku::buku(c, &t2, tz)?, buku::statistik(c, &t2)?)))
        .await;
    let (rows, stat) = match data {
        Ok(r) => r,
        Err(e) => return galat_page("Galat", Some(&sesi.operator), &e),
    };
    let standar: Vec<String> = buku::standar()
        .into_iter()
        .map(|(n, l, s)| format!("Langkah {n} ({l}): {s}"))
        .collect();
    let body = html! {
        div class="buku-cetak" {
            (kop(&state))
            h1 { "Buku BHPPK: pendaftaran perekaman KTP-el, " (t) }
            form class="tanpa-cetak" method="get" action="/buku" {
                input type="date" name="tanggal" value=(t) style="width:12rem";
                " " button class="kedua" { "Tampilkan" } " "
                a href={ "/buku.csv?tanggal=" (t) } id="unduh-csv" { "Unduh CSV" } " "
                a href={ "/buku.xlsx?tanggal=" (t) } id="unduh-xlsx" { "Unduh Excel (XLSX)" } " "
                button type="button" class="tombol-cetak" id="cetak" { "Cetak" }
            }
            p style="font-size:.8rem" { "Standar waktu: " (standar.join("; ")) "." }
            table id="buku" {
                tr {
                    th { "No" } th { "Jam" } th { "NIK" } th { "Nama" } th { "L/P" } th { "Alamat" }
                    th { "Hasil" } th { "Antrian" } th { "No. bukti" } th { "Operator reg./rek." }
                    th { "L1" } th { "L2" } th { "L3" } th { "L4" }
                }
                @for b in &rows {
                    tr {
                        td { (b.no) } td { (b.jam_datang) } td { (b.nik) }
                        td { a href={ "/permohonan/" (b.id) } { (b.nama) } }
                        td { (b.jenis_kelamin) } td { (b.alamat) } td { (b.hasil) }
                        td { (b.nomor_antrian.map(|n| format!("{n:03}")).unwrap_or_default()) }
                        td { (b.nomor_bukti.as_deref().unwrap_or("")) }
                        td { (b.operator_registrasi) " / " (b.operator_perekaman) }
                        td { (buku::menit_detik(b.detik_langkah[0])) }
                        td { (buku::menit_detik(b.detik_langkah[1])) }
                        td { (buku::menit_detik(b.detik_langkah[2])) }
                        td {
                            (buku::menit_detik(b.detik_langkah[3]))
                            @if !b.terlambat.is_empty() {
                                br; span class="terlambat" { (b.terlambat.join("; ")) }
                            }
                        }
                    }
                }
                @if rows.is_empty() {
                    tr { td colspan="15" { "Belum ada permohonan." } }
                }
            }
            h2 { "Statistik waktu layanan" }
            (statistik_tabel(&stat))
        }
        script src="/static/cetak.js" {}
    };
    respond(
        StatusCode::OK,
        page("Buku BHPPK", Some(&sesi.operator), body),
    )
}

fn langkah_tabel(rows: &[rekam_shared::workflow::statistik::RingkasanLangkah]) -> Markup {
    html! {
        tr {
            th { "Langkah" } th { "Standar" } th { "Selesai" } th { "Terlambat" }
            th { "Median" } th { "P90" } th { "Terlama" }
        }
        @for r in rows {
            tr {
                td { (r.langkah.nomor()) " " (r.langkah.label()) }
                td { (r.langkah.standar()) }
                td { (r.jumlah) }
                td { (r.terlambat) }
                td { (buku::menit_detik(r.median_detik)) }
                td { (buku::menit_detik(r.p90_detik)) }
                td { (buku::menit_detik(r.maks_detik)) }
            }
        }
    }
}

fn statistik_tabel(st: &buku::Statistik) -> Markup {
    html! {
        p { (st.kantor.jumlah_permohonan) " permohonan." }
        div class="statistik-kolom" {
            div {
                h2 { "Kantor" }
                table id="statistik" { (langkah_tabel(&st.kantor.langkah)) }
            }
            @for (op, rows) in &st.per_operator {
                @let rows: Vec<_> = rows.iter().filter(|r| r.jumlah > 0).cloned().collect();
                div {
                    h2 { "Operator " (op) }
                    table { (langkah_tabel(&rows)) }
                }
            }
        }
    }
}
