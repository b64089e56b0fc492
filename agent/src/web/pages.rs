//! The desk pages: login, home, registration desk, application page (every action of steps 1-4
//! as a form), recording desk, waiting-room queue display, printable receipt and proof, and the
//! register book. Each form calls the same desk function as the JSON API.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use rekam_shared::eligibility::Kelayakan;
use serde::Deserialize;

use super::AppState;
use super::api::{TanggalQuery, modality, tanggal_or_today};
use super::error::ApiError;
use super::html::{FormData, esc, galat, html, idem_field, input, page, select};
use super::session::{self, Login, SesiHalaman};
use crate::auth::Operator;
use crate::desk::input::{
    ALASAN_GAGAL, ALASAN_PENOLAKAN, ALASAN_TERLAMBAT, BERKAS, PendudukInput, label_alasan,
};
use crate::desk::perekaman::{GagalInput, PanggilInput};
use crate::desk::registrasi::{BerkasInput, BuatInput, TerlambatInput, TolakInput};
use crate::desk::{
    self, Ctx, PermohonanView, buku, di_perekaman, di_registrasi, perekaman, registrasi, store,
};
use crate::device::protocol::{Modality, position_label};

const CSS: &str = include_str!("style.css");

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

// ---------------------------------------------------------------- login

fn login_page(err: Option<&ApiError>) -> String {
    page(
        "Masuk",
        None,
        &format!(
            r#"<div class="kartu" style="max-width:26rem;margin:3rem auto"><h1>Rekam: masuk operator</h1>{}
<form method="post" action="/login">{}{}<button id="masuk">Masuk</button></form></div>"#,
            err.map(galat).unwrap_or_default(),
            input("username", "Nama pengguna", "", "text"),
            input("password", "Kata sandi", "", "password"),
        ),
    )
}

async fn login_get() -> Response {
    html(StatusCode::OK, login_page(None))
}

async fn login_post(State(state): State<AppState>, form: FormData) -> Response {
    let req = Login {
        username: form.get("username"),
        password: form.get("password"),
    };
    match session::login(&state, req).await {
        Ok(ok) => (
            StatusCode::SEE_OTHER,
            [
                (
                    header::SET_COOKIE,
                    session::session_cookie(&ok.token, ok.expires_in_minutes),
                ),
                (header::LOCATION, "/".parse().expect("static")),
            ],
        )
            .into_response(),
        Err(e) => html(e.status, login_page(Some(&e))),
    }
}

async fn logout(State(state): State<AppState>, SesiHalaman(sesi): SesiHalaman) -> Response {
    let _ = session::logout(&state, &sesi).await;
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, session::clear_cookie()),
            (header::LOCATION, "/login".parse().expect("static")),
        ],
    )
        .into_response()
}

// ---------------------------------------------------------------- home

async fn beranda(State(state): State<AppState>, SesiHalaman(sesi): SesiHalaman) -> Response {
    let op = &sesi.operator;
    let today = state.today();
    let t = today.to_string();
    let counts = state
        .db
        .read(move |c| {
            let mut st = c.prepare(
                "SELECT status, count(*) FROM permohonan WHERE tanggal = ?1 GROUP BY status",
            )?;
            let rows = st
                .query_map([t], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, ApiError>(rows)
        })
        .await
        .unwrap_or_default();
    let mut list = String::new();
    for (s, n) in &counts {
        list.push_str(&format!("<tr><td>{}</td><td>{n}</td></tr>", esc(s)));
    }
    let mut links = String::new();
    if di_registrasi(op.peran) {
        links.push_str(
            r#"<p><a href="/registrasi"><button>Meja registrasi (langkah 1-2)</button></a></p>"#,
        );
    }
    if di_perekaman(op.peran) {
        links.push_str(
            r#"<p><a href="/perekaman"><button>Meja perekaman (langkah 3-4)</button></a></p>"#,
        );
    }
    if op.peran == crate::peran::Peran::KepalaUkl {
        links.push_str(
            r#"<p><a href="/audit"><button class="kedua">Operator dan log audit</button></a></p>"#,
        );
    }
    links.push_str(r#"<p><a href="/buku"><button class="kedua">Buku BHPPK hari ini</button></a> <a href="/antrian" target="_blank"><button class="kedua">Layar antrian</button></a></p>"#);
    let body = format!(
        r#"<h1>Selamat bekerja, {}</h1><div class="kolom"><div class="kartu">{links}</div>
<div class="kartu"><h2>Permohonan hari ini ({today})</h2><table><tr><th>Status</th><th>Jumlah</th></tr>{list}</table>
<p>Galeri lokal "sudah rekam?": {} orang.</p></div>{}</div>"#,
        esc(&op.username),
        crate::cek::ribuan(state.cek.jumlah_lokal()),
        super::sinkron::kartu(super::sinkron::status(&state).await.ok().flatten().as_ref()),
    );
    html(StatusCode::OK, page("Beranda", Some(op), &body))
}

// ---------------------------------------------------------------- registration desk

#[derive(Deserialize)]
struct NikQuery {
    nik: Option<String>,
}

fn penduduk_form(p: &PendudukInput) -> String {
    let jk = [("laki_laki", "Laki-laki"), ("perempuan", "Perempuan")];
    let sp = [
        ("belum_kawin", "Belum kawin"),
        ("kawin", "Kawin"),
        ("cerai_hidup", "Cerai hidup"),
        ("cerai_mati", "Cerai mati"),
    ];
    format!(
        r#"<div class="kolom"><div>{}{}{}{}{}{}</div><div>{}{}{}{}{}{}</div></div>"#,
        input("nik", "NIK (16 angka)", &p.nik, "text"),
        input("no_kk", "Nomor KK", &p.no_kk, "text"),
        input("nama", "Nama lengkap", &p.nama, "text"),
        input("tempat_lahir", "Tempat lahir", &p.tempat_lahir, "text"),
        input("tanggal_lahir", "Tanggal lahir", &p.tanggal_lahir, "date"),
        select("jenis_kelamin", "Jenis kelamin", &jk, &p.jenis_kelamin),
        select(
            "status_perkawinan",
            "Status perkawinan",
            &sp,
            &p.status_perkawinan
        ),
        input("alamat", "Alamat", &p.alamat, "text"),
        input("rt", "RT", &p.rt, "text"),
        input("rw", "RW", &p.rw, "text"),
        input("nagari", "Nagari / kelurahan", &p.nagari, "text"),
        input("kecamatan", "Kode kecamatan", &p.kecamatan, "text"),
    )
}

fn penduduk_of(form: &FormData) -> PendudukInput {
    PendudukInput {
        nik: form.get("nik"),
        no_kk: form.get("no_kk"),
        nama: form.get("nama"),
        tempat_lahir: form.get("tempat_lahir"),
        tanggal_lahir: form.get("tanggal_lahir"),
        jenis_kelamin: form.get("jenis_kelamin"),
        status_perkawinan: form.get("status_perkawinan"),
        alamat: form.get("alamat"),
        rt: form.get("rt"),
        rw: form.get("rw"),
        nagari: form.get("nagari"),
        kecamatan: form.get("kecamatan"),
    }
}

async fn daftar_hari_ini(state: &AppState, statuses: &'static [&'static str]) -> Vec<store::Row> {
    let t = state.today().to_string();
    state
        .db
        .read(move |c| {
            let list = statuses.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(",");
            store::load_where(
                c,
                &format!("(tanggal = ?1 OR tanggal_antrian = ?1) AND status IN ({list}) ORDER BY nomor_antrian, created_at"),
                [t],
            )
        })
        .await
        .unwrap_or_default()
}

fn tabel(rows: &[store::Row]) -> String {
    let mut s = String::from(
        "<table><tr><th>Antrian</th><th>NIK</th><th>Nama</th><th>Status</th><th></th></tr>",
    );
    for r in rows {
        let p = &r.permohonan;
        s.push_str(&format!(
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href="/permohonan/{}">buka</a></td></tr>"#,
            r.nomor_antrian.map(|n| format!("{n:03}")).unwrap_or_else(|| "-".into()),
            p.penduduk().nik,
            esc(&p.penduduk().nama),
            esc(&buku::label_status(p.status())),
            esc(p.id())
        ));
    }
    if rows.is_empty() {
        s.push_str("<tr><td colspan=5>Tidak ada.</td></tr>");
    }
    s.push_str("</table>");
    s
}

/// A line showing the devices' status, filled in the browser from `/api/perangkat` (a slow or
/// absent device never delays the page).
const PERANGKAT: &str = r#"<div class="kartu" id="perangkat">Perangkat: memeriksa…</div><script>
fetch('/api/perangkat').then(function(r){return r.json();}).then(function(v){var el=document.getElementById('perangkat');
if(Array.isArray(v)){el.textContent='Perangkat: '+v.map(function(d){return d.model+' ('+(d.status==='ready'?'siap':'tidak siap')+')';}).join(', ');}
else{el.textContent=v.error||'Perangkat: tidak diketahui';el.className='galat';}}).catch(function(){});
</script>"#;

fn registrasi_page(
    state: &AppState,
    op: &Operator,
    p: &PendudukInput,
    err: Option<&ApiError>,
    note: &str,
    rows: &[store::Row],
) -> String {
    let body = format!(
        r#"<h1>Meja registrasi: permohonan baru (langkah 1)</h1>{}{}{note}
<div class="kartu tanpa-cetak"><form method="get" action="/registrasi"><label for="cari_nik">Cari penduduk menurut NIK</label>
<input type="text" id="cari_nik" name="nik" value=""><button class="kedua" id="cari">Cari</button></form></div>
<div class="kartu"><form method="post" action="/registrasi">{}{}
<p>Penduduk hadir sendiri dengan berkas persyaratan. Kantor: kecamatan {}.</p><button id="buat">Buka permohonan</button></form></div>
<h2>Permohonan di meja registrasi hari ini</h2>{}{PERANGKAT}"#,
        err.map(galat).unwrap_or_default(),
        indeks_box(state),
        idem_field(),
        penduduk_form(p),
        esc(&state.config.kecamatan),
        tabel(rows)
    );
    page("Registrasi", Some(op), &body)
}

/// What the step-2 check covers beyond this office: the district index's size and age, or a
/// warning when it is stale or incomplete.
fn indeks_box(state: &AppState) -> String {
    let Some(i) = state.cek.info_distrik() else {
        return String::new();
    };
    match crate::cek::peringatan_indeks(&i) {
        Some(w) => format!(r#"<div class="galat" id="indeks-usang">{}</div>"#, esc(&w)),
        None => format!(
            r#"<div class="info" id="indeks">Indeks kabupaten: {} orang, per {}.</div>"#,
            crate::cek::ribuan(i.jumlah),
            esc(i.per_teks.as_deref().unwrap_or("-"))
        ),
    }
}

const DI_REGISTRASI: &[&str] = &[
    "penyerahan_berkas",
    "berkas_diterima",
    "pengecekan_biometrik",
    "dikembalikan_ke_registrasi",
    "menunggu_perekaman",
];

async fn registrasi_get(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Query(q): Query<NikQuery>,
) -> Response {
    let mut p = PendudukInput {
        kecamatan: state.config.kecamatan.clone(),
        ..Default::default()
    };
    let mut note = String::new();
    if let Some(nik) = q.nik.filter(|n| !n.trim().is_empty()) {
        let n = nik.trim().to_owned();
        match state.db.read(move |c| store::penduduk(c, &n)).await {
            Ok(Some(found)) => {
                p = PendudukInput::from_penduduk(&found);
                note = r#"<div class="info">Data penduduk ditemukan; periksa dengan berkas.</div>"#
                    .into();
            }
            _ => {
                p.nik = nik.trim().to_owned();
                note =
                    r#"<div class="info">NIK belum ada di kantor ini; isi data dari berkas.</div>"#
                        .into();
            }
        }
    }
    let rows = daftar_hari_ini(&state, DI_REGISTRASI).await;
    html(
        StatusCode::OK,
        registrasi_page(&state, &sesi.operator, &p, None, &note, &rows),
    )
}

async fn registrasi_post(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    form: FormData,
) -> Response {
    let p = penduduk_of(&form);
    let ctx = Ctx {
        state: &state,
        op: &sesi.operator,
        idem: form.idem(),
    };
    match registrasi::buat(
        ctx,
        BuatInput {
            penduduk: p.clone(),
        },
    )
    .await
    {
        Ok(h) => see_other(&format!("/permohonan/{}", h.id)),
        Err(e) => {
            let rows = daftar_hari_ini(&state, DI_REGISTRASI).await;
            html(
                e.status,
                registrasi_page(&state, &sesi.operator, &p, Some(&e), "", &rows),
            )
        }
    }
}

// ---------------------------------------------------------------- application page

fn terlambat_fields(v: &PermohonanView) -> String {
    let late = v.langkah.as_ref().is_some_and(|l| l.terlambat);
    let mut opts: Vec<(&str, &str)> = vec![("", "- tidak terlambat -")];
    opts.extend_from_slice(ALASAN_TERLAMBAT);
    format!(
        r#"<div class="alasan-terlambat" {}>{}{}</div>"#,
        if late { "" } else { "data-sembunyi" },
        select(
            "alasan_terlambat",
            "Alasan terlambat (wajib bila langkah melebihi standar waktu)",
            &opts,
            ""
        ),
        input("keterangan_terlambat", "Keterangan terlambat", "", "text"),
    )
}

fn checklist(v: &PermohonanView) -> String {
    let mut s = String::from(r#"<div class="cek"><b>Berkas persyaratan</b>"#);
    for (k, l) in BERKAS {
        let checked = if v.berkas.iter().any(|b| b == k) {
            " checked"
        } else {
            ""
        };
        s.push_str(&format!(
            r#"<label><input type="checkbox" name="berkas" value="{k}" id="berkas_{k}"{checked}> {}</label>"#,
            esc(l)
        ));
    }
    s.push_str("</div>");
    s
}

fn kelayakan_box(v: &PermohonanView) -> String {
    match &v.kelayakan {
        Some(Kelayakan::Layak { umur, alasan }) => format!(
            r#"<div class="info" id="kelayakan">Memenuhi syarat perekaman: umur {umur} tahun{}.</div>"#,
            match alasan {
                rekam_shared::eligibility::AlasanLayak::Umur => "",
                rekam_shared::eligibility::AlasanLayak::PernahKawin =>
                    ", belum 17 tahun tetapi sudah/pernah kawin (perlu buku nikah)",
            }
        ),
        Some(Kelayakan::BelumLayak { umur, layak_pada }) => format!(
            r#"<div class="galat" id="kelayakan">Belum memenuhi syarat: umur {umur} tahun dan belum pernah kawin. Dapat direkam mulai {layak_pada}.</div>"#
        ),
        None => String::new(),
    }
}

fn aksi_form(id: &str, path: &str, inner: &str, button: &str, class: &str, btn_id: &str) -> String {
    format!(
        r#"<form method="post" action="/permohonan/{}/{path}">{}{inner}<button class="{class}" id="{btn_id}">{}</button></form>"#,
        esc(id),
        idem_field(),
        esc(button)
    )
}

fn tolak_form(v: &PermohonanView, default: &str) -> String {
    let inner = format!(
        "{}{}{}",
        select(
            "alasan",
            "Alasan pengembalian berkas",
            ALASAN_PENOLAKAN,
            default
        ),
        input("keterangan", "Keterangan", "", "text"),
        terlambat_fields(v)
    );
    aksi_form(
        &v.id,
        "tolak",
        &inner,
        "Kembalikan berkas ke penduduk",
        "bahaya",
        "tolak",
    )
}

fn actions(v: &PermohonanView, op: &Operator, tz: chrono::FixedOffset) -> String {
    let reg = di_registrasi(op.peran);
    let rek = di_perekaman(op.peran);
    let late = terlambat_fields(v);
    let mut s = String::new();
    match v.status {
        "penyerahan_berkas" if reg => {
            s += &aksi_form(
                &v.id,
                "terima-berkas",
                &format!("{}{late}", checklist(v)),
                "Berkas diterima",
                "",
                "terima",
            );
            s += &tolak_form(v, "berkas_tidak_lengkap");
        }
        "berkas_diterima" if reg => {
            s += &kelayakan_box(v);
            s += &aksi_form(
                &v.id,
                "periksa-berkas",
                &format!("{}{late}", checklist(v)),
                "Periksa berkas",
                "",
                "periksa",
            );
            s += &tolak_form(v, "berkas_tidak_benar");
        }
        "pengecekan_biometrik" if reg => {
            s += r#"<p>Minta penduduk meletakkan jari dan melihat ke kamera iris.</p>"#;
            s += &aksi_form(
                &v.id,
                "cek-biometrik",
                &late,
                "Cek iris & sidik jari (sudah rekam?)",
                "",
                "cek",
            );
        }
        "dikembalikan_ke_registrasi" if reg => {
            s += &aksi_form(
                &v.id,
                "antrian-ulang",
                &late,
                "Beri nomor antrian ulang",
                "",
                "antrian-ulang",
            );
            s += &tolak_form(v, "tidak_dapat_direkam");
        }
        "menunggu_perekaman" => {
            s += &format!(
                r#"<p><a href="/permohonan/{}/tanda-terima" target="_blank" id="link-tanda-terima"><button class="kedua">Cetak bukti tanda terima</button></a></p>"#,
                esc(&v.id)
            );
            if rek {
                s += &aksi_form(
                    &v.id,
                    "panggil",
                    &format!("{}{late}", input("loket", "Loket", "1", "text")),
                    "Panggil",
                    "",
                    "panggil",
                );
            }
        }
        "dipanggil" if rek => {
            s += &capture_table(v, tz);
            let mut forms = String::new();
            for (m, label) in [
                ("sidik-jari", "Ambil 10 sidik jari"),
                ("iris", "Ambil 2 iris"),
                ("foto", "Ambil foto"),
                ("tanda-tangan", "Ambil tanda tangan"),
            ] {
                forms += &aksi_form(
                    &v.id,
                    &format!("rekam/{m}"),
                    "",
                    label,
                    "kedua",
                    &format!("rekam-{m}"),
                );
            }
            s += &format!(r#"<div class="kartu">{forms}</div>"#);
            s += &aksi_form(
                &v.id,
                "berhasil",
                &late,
                "Perekaman berhasil: cetak tanda bukti",
                "",
                "berhasil",
            );
            let inner = format!(
                "{}{}{late}",
                select("alasan", "Alasan gagal", ALASAN_GAGAL, "gangguan_teknis"),
                input("keterangan", "Keterangan", "", "text")
            );
            s += &aksi_form(
                &v.id,
                "gagal",
                &inner,
                "Perekaman gagal: kembalikan ke registrasi",
                "bahaya",
                "gagal",
            );
        }
        "terekam" => {
            s += &format!(
                r#"<p><a href="/permohonan/{}/bukti" target="_blank" id="link-bukti"><button class="kedua">Cetak tanda bukti perekaman</button></a></p>"#,
                esc(&v.id)
            );
            if rek {
                s += &aksi_form(
                    &v.id,
                    "serahkan",
                    &late,
                    "Berkas dan tanda bukti diterima penduduk",
                    "",
                    "serahkan",
                );
            }
        }
        "diserahkan" => {
            s += &format!(
                r#"<p><a href="/permohonan/{}/bukti" target="_blank" id="link-bukti"><button class="kedua">Cetak ulang tanda bukti perekaman</button></a></p>"#,
                esc(&v.id)
            );
        }
        _ => {}
    }
    if s.is_empty() {
        s = "<p>Tidak ada tindakan untuk peran Anda pada status ini.</p>".into();
    }
    s
}

fn capture_table(v: &PermohonanView, tz: chrono::FixedOffset) -> String {
    let mut s = String::from(
        r#"<table id="tabel-biometrik"><tr><th>Sampel</th><th>Kualitas</th><th>Waktu</th></tr>"#,
    );
    for m in crate::desk::perekaman::MODALITAS {
        for p in m.positions() {
            let found = v
                .biometrik
                .iter()
                .find(|c| c.modality == m.as_str() && c.position == *p);
            match found {
                Some(c) => s.push_str(&format!(
                    "<tr><td>{}</td><td>{}{}</td><td>{}</td></tr>",
                    position_label(p),
                    c.quality,
                    if c.quality < 40 {
                        r#" <span class="terlambat">rendah</span>"#
                    } else {
                        ""
                    },
                    chrono::DateTime::parse_from_rfc3339(&c.captured_at)
                        .map(|t| t.with_timezone(&tz).format("%H:%M:%S").to_string())
                        .unwrap_or_default()
                )),
                None => s.push_str(&format!(
                    "<tr><td>{}</td><td>belum</td><td></td></tr>",
                    position_label(p)
                )),
            }
        }
    }
    s.push_str("</table>");
    s
}

const TIMER_JS: &str = r#"<script>
(function(){var el=document.getElementById('timer');if(!el)return;var s=+el.dataset.detik,b=+el.dataset.batas*60;
function f(){var m=Math.floor(s/60),d=s%60;el.textContent=m+':'+(d<10?'0':'')+d;if(s>b){el.className='terlambat';
document.querySelectorAll('.alasan-terlambat').forEach(function(x){x.removeAttribute('data-sembunyi');x.style.display='';});}s++;}
document.querySelectorAll('.alasan-terlambat[data-sembunyi]').forEach(function(x){x.style.display='none';});
f();setInterval(f,1000);})();
</script>"#;

fn permohonan_page(
    v: &PermohonanView,
    op: &Operator,
    err: Option<&ApiError>,
    tz: chrono::FixedOffset,
) -> String {
    let p = &v.penduduk;
    let langkah = match &v.langkah {
        Some(l) => format!(
            r#"<div class="kartu" id="langkah">Langkah {}: {} &middot; standar {} &middot; berjalan <span id="timer" data-detik="{}" data-batas="{}" class="{}"></span></div>"#,
            l.nomor,
            esc(l.label),
            esc(l.standar),
            l.detik_berjalan,
            l.batas_menit,
            if l.terlambat { "terlambat" } else { "" }
        ),
        None => String::new(),
    };
    let status_label = v.status;
    let mungkin: Vec<String> = v
        .cek_biometrik
        .as_ref()
        .and_then(|c| c["cocok"].as_array())
        .map(|a| {
            a.iter()
                .filter(|c| c["kepastian"] == "mungkin")
                .map(|c| {
                    let asal = match c.get("asal") {
                        Some(a) => format!(
                            " (direkam di kecamatan {} pada {})",
                            esc(a["nama_kecamatan"]
                                .as_str()
                                .or(a["kecamatan"].as_str())
                                .unwrap_or("?")),
                            esc(a["tanggal"].as_str().unwrap_or("?"))
                        ),
                        None => String::new(),
                    };
                    format!("NIK {}{asal}", esc(c["nik"].as_str().unwrap_or("?")))
                })
                .collect()
        })
        .unwrap_or_default();
    let mungkin = if mungkin.is_empty() {
        String::new()
    } else {
        format!(
            " Kemungkinan cocok (diputuskan oleh adjudikator distrik): {}.",
            mungkin.join(", ")
        )
    };
    let cek = match &v.cek_biometrik {
        Some(c) => format!(
            r#"<div class="info" id="hasil-cek">Pengecekan biometrik: {} Dicari: {} ({} ms).{mungkin}{}</div>"#,
            if c["sudah_rekam"].as_bool() == Some(true) {
                "<b>SUDAH PERNAH DIREKAM</b>."
            } else {
                "belum pernah direkam."
            },
            esc(c["cakupan"].as_str().unwrap_or("")),
            c["milidetik"].as_u64().unwrap_or(0),
            c["peringatan"]
                .as_str()
                .map(|w| format!(r#" <b id="peringatan-indeks">{}</b>"#, esc(w)))
                .unwrap_or_default()
        ),
        None => String::new(),
    };
    let keterangan = match v.keadaan.get("alasan") {
        Some(a) => format!(
            r#"<div class="galat" id="alasan">Alasan: {}</div>"#,
            esc(&label_alasan(a))
        ),
        None => match v.keadaan.get("keterangan").and_then(|k| k.as_str()) {
            Some(k) => format!(r#"<div class="galat" id="alasan">{}</div>"#, esc(k)),
            None => String::new(),
        },
    };
    let kabupaten = keputusan_box(v, tz);
    let mut riwayat = String::from(
        "<table><tr><th>Waktu</th><th>Peristiwa</th><th>Operator</th><th>Terlambat</th></tr>",
    );
    for e in &v.peristiwa {
        riwayat.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e.waktu.with_timezone(&tz).format("%H:%M:%S"),
            esc(e.aksi.jenis().nama()),
            esc(&e.operator),
            esc(&e
                .alasan_terlambat
                .as_ref()
                .map(label_alasan)
                .unwrap_or_default())
        ));
    }
    riwayat.push_str("</table>");
    let body = format!(
        r#"<h1>Permohonan {} <span class="status" id="status">{}</span></h1>{}{langkah}{cek}{keterangan}{kabupaten}
<div class="kolom"><div class="kartu"><div class="grid2"><span>NIK</span><b id="nik">{}</b><span>Nama</span><b>{}</b>
<span>Tempat/tgl lahir</span><span>{}, {}</span><span>Alamat</span><span>{}, RT {:03}/RW {:03}, {}</span>
<span>Nomor antrian</span><b id="nomor-antrian">{}</b><span>Nomor bukti</span><b id="nomor-bukti">{}</b></div></div>
<div class="kartu">{}</div></div><h2>Riwayat</h2>{riwayat}{TIMER_JS}"#,
        esc(&v.id),
        esc(status_label),
        err.map(galat).unwrap_or_default(),
        p.nik,
        esc(&p.nama),
        esc(&p.tempat_lahir),
        p.tanggal_lahir,
        esc(&p.alamat),
        p.rt,
        p.rw,
        esc(&p.nagari),
        v.nomor_antrian
            .map(|n| format!("{n:03}"))
            .unwrap_or_else(|| "-".into()),
        esc(v.nomor_bukti.as_deref().unwrap_or("-")),
        actions(v, op, tz)
    );
    page("Permohonan", Some(op), &body)
}

/// The district's dedup decision, as the hub sent it; for a recorded application without one
/// yet, says that it is awaited.
fn keputusan_box(v: &PermohonanView, tz: chrono::FixedOffset) -> String {
    use rekam_shared::document::HasilDedup;
    let Some(k) = &v.keputusan else {
        return if v.nomor_bukti.is_some() {
            r#"<div class="info" id="keputusan">Keputusan kabupaten: belum ada (dikirim saat sinkronisasi dengan kabupaten).</div>"#.into()
        } else {
            String::new()
        };
    };
    let dari = k
        .duplikat_dari
        .iter()
        .map(|d| esc(d))
        .collect::<Vec<_>>()
        .join(", ");
    let (class, hasil) = match k.hasil {
        HasilDedup::Unik => (
            "info",
            "<b>UNIK</b>: tidak ada perekaman lain atas penduduk ini".to_owned(),
        ),
        HasilDedup::Duplikat => (
            "galat",
            format!("<b>DUPLIKAT</b>: sudah direkam pada permohonan {dari}"),
        ),
        HasilDedup::PerluAdjudikasi => (
            "galat",
            format!(
                "<b>PERLU ADJUDIKASI</b>: mungkin sama dengan permohonan {dari}; menunggu keputusan petugas kabupaten"
            ),
        ),
    };
    let jenis = k
        .jenis
        .map(|j| format!(" ({})", esc(j.label())))
        .unwrap_or_default();
    format!(
        r#"<div class="{class}" id="keputusan">Keputusan kabupaten: {hasil}{jenis}. {} &middot; oleh {} &middot; {}</div>"#,
        esc(&k.catatan),
        esc(&k.oleh),
        k.waktu.with_timezone(&tz).format("%d-%m-%Y %H:%M")
    )
}

async fn permohonan_get(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path(id): Path<String>,
) -> Response {
    match desk::view(&state, &id).await {
        Ok(v) => html(
            StatusCode::OK,
            permohonan_page(&v, &sesi.operator, None, state.config.offset()),
        ),
        Err(e) => html(e.status, page("Galat", Some(&sesi.operator), &galat(&e))),
    }
}

fn terlambat_of(form: &FormData) -> TerlambatInput {
    TerlambatInput {
        alasan_terlambat: form.get("alasan_terlambat"),
        keterangan_terlambat: form.get("keterangan_terlambat"),
    }
}

async fn permohonan_post(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path((id, aksi)): Path<(String, String)>,
    form: FormData,
) -> Response {
    let result = run_action(&state, &sesi.operator, &id, &aksi, None, &form).await;
    finish(&state, &sesi.operator, &id, result).await
}

async fn rekam_post(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path((id, m)): Path<(String, String)>,
    form: FormData,
) -> Response {
    let result = match modality(&m) {
        Ok(m) => run_action(&state, &sesi.operator, &id, "rekam", Some(m), &form).await,
        Err(e) => Err(e),
    };
    finish(&state, &sesi.operator, &id, result).await
}

async fn run_action(
    state: &AppState,
    op: &Operator,
    id: &str,
    aksi: &str,
    m: Option<Modality>,
    form: &FormData,
) -> Result<desk::Hasil, ApiError> {
    let ctx = Ctx {
        state,
        op,
        idem: form.idem(),
    };
    let berkas = || BerkasInput {
        berkas: form.all("berkas"),
        terlambat: terlambat_of(form),
    };
    match (aksi, m) {
        ("terima-berkas", _) => registrasi::terima_berkas(ctx, id, berkas()).await,
        ("periksa-berkas", _) => registrasi::periksa_berkas(ctx, id, berkas()).await,
        ("tolak", _) => {
            registrasi::tolak(
                ctx,
                id,
                TolakInput {
                    alasan: form.get("alasan"),
                    keterangan: form.get("keterangan"),
                    terlambat: terlambat_of(form),
                },
            )
            .await
        }
        ("cek-biometrik", _) => registrasi::cek_biometrik(ctx, id, terlambat_of(form)).await,
        ("antrian-ulang", _) => registrasi::antrian_ulang(ctx, id, terlambat_of(form)).await,
        ("panggil", _) => {
            perekaman::panggil(
                ctx,
                Some(id),
                PanggilInput {
                    loket: form.get("loket"),
                    terlambat: terlambat_of(form),
                },
            )
            .await
        }
        ("rekam", Some(m)) => perekaman::rekam(ctx, id, m).await,
        ("berhasil", _) => perekaman::berhasil(ctx, id, terlambat_of(form)).await,
        ("gagal", _) => {
            perekaman::gagal(
                ctx,
                id,
                GagalInput {
                    alasan: form.get("alasan"),
                    keterangan: form.get("keterangan"),
                    terlambat: terlambat_of(form),
                },
            )
            .await
        }
        ("serahkan", _) => perekaman::serahkan(ctx, id, terlambat_of(form)).await,
        _ => Err(ApiError::not_found("tindakan")),
    }
}

async fn finish(
    state: &AppState,
    op: &Operator,
    id: &str,
    r: Result<desk::Hasil, ApiError>,
) -> Response {
    match r {
        Ok(h) => see_other(&format!("/permohonan/{}", h.id)),
        Err(e) => match desk::view(state, id).await {
            Ok(v) => html(
                e.status,
                permohonan_page(&v, op, Some(&e), state.config.offset()),
            ),
            Err(_) => html(e.status, page("Galat", Some(op), &galat(&e))),
        },
    }
}

// ---------------------------------------------------------------- recording desk

const DI_PEREKAMAN: &[&str] = &["menunggu_perekaman", "dipanggil", "terekam"];

async fn perekaman_get(State(state): State<AppState>, SesiHalaman(sesi): SesiHalaman) -> Response {
    perekaman_page(&state, &sesi.operator, None).await
}

async fn perekaman_page(state: &AppState, op: &Operator, err: Option<&ApiError>) -> Response {
    let rows = daftar_hari_ini(state, DI_PEREKAMAN).await;
    let body = format!(
        r#"<h1>Meja perekaman (langkah 3-4)</h1>{}<div class="kartu"><form method="post" action="/perekaman/panggil">{}{}
<button id="panggil-berikut">Panggil nomor berikutnya</button></form></div><h2>Antrian hari ini</h2>{}{PERANGKAT}"#,
        err.map(galat).unwrap_or_default(),
        idem_field(),
        input("loket", "Loket", "1", "text"),
        tabel(&rows)
    );
    html(
        err.map(|e| e.status).unwrap_or(StatusCode::OK),
        page("Perekaman", Some(op), &body),
    )
}

async fn panggil_berikut(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    form: FormData,
) -> Response {
    let ctx = Ctx {
        state: &state,
        op: &sesi.operator,
        idem: form.idem(),
    };
    let input = PanggilInput {
        loket: form.get("loket"),
        terlambat: terlambat_of(&form),
    };
    match perekaman::panggil(ctx, None, input).await {
        Ok(h) => see_other(&format!("/permohonan/{}", h.id)),
        Err(e) => perekaman_page(&state, &sesi.operator, Some(&e)).await,
    }
}

// ---------------------------------------------------------------- queue display

const ANTRIAN_JS: &str = r#"<script>
function muat(){fetch('/api/antrian').then(function(r){return r.json();}).then(function(a){
var d=a.dipanggil[0];document.getElementById('nomor').textContent=d?d.nomor_teks:'---';
document.getElementById('loket').textContent=d?('Loket '+d.loket):'';
document.getElementById('riwayat').textContent=a.dipanggil.slice(1).map(function(x){return x.nomor_teks+' (loket '+x.loket+')';}).join('   ');
document.getElementById('menunggu').textContent=a.menunggu.length;}).catch(function(){});}
muat();setInterval(muat,2000);
</script>"#;

async fn antrian_page(State(state): State<AppState>) -> Response {
    let body = format!(
        r#"<main><p style="font-size:4vh;margin:2vh 0 0">Nomor antrian perekaman KTP-el &middot; Kecamatan {}</p>
<div class="nomor" id="nomor">---</div><div class="loket" id="loket"></div>
<div class="riwayat">Sebelumnya: <span id="riwayat"></span></div><div class="riwayat">Menunggu: <span id="menunggu">0</span> orang</div></main>{ANTRIAN_JS}"#,
        esc(&state.config.kecamatan)
    );
    html(
        StatusCode::OK,
        format!(
            r#"<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Antrian - Rekam</title><link rel="stylesheet" href="/static/rekam.css"></head><body class="layar">{body}</body></html>"#
        ),
    )
}

// ---------------------------------------------------------------- printed slips

fn kop(state: &AppState) -> String {
    let nama = state
        .config
        .kecamatan
        .parse()
        .ok()
        .and_then(rekam_shared::region::kecamatan_pesisir_selatan)
        .map(|k| k.nama.to_string())
        .unwrap_or_else(|| state.config.kecamatan.clone());
    format!(
        r#"<div class="kop"><b>PEMERINTAH KABUPATEN PESISIR SELATAN</b><br>DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL<br>UKL Disdukcapil Kecamatan {}</div>"#,
        esc(&nama)
    )
}

fn slip(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{} - Rekam</title><link rel="stylesheet" href="/static/rekam.css"></head><body><main>{body}<p class="tanpa-cetak" style="text-align:center"><button onclick="window.print()">Cetak</button></p></main></body></html>"#,
        esc(title)
    )
}

async fn tanda_terima(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path(id): Path<String>,
) -> Response {
    let v = match desk::view(&state, &id).await {
        Ok(v) => v,
        Err(e) => return html(e.status, page("Galat", Some(&sesi.operator), &galat(&e))),
    };
    let Some(n) = v.nomor_antrian else {
        let e = ApiError::conflict(Some("nomor_antrian"), "belum ada nomor antrian");
        return html(e.status, page("Galat", Some(&sesi.operator), &galat(&e)));
    };
    let tz = state.config.offset();
    let diberi = v
        .peristiwa
        .iter()
        .rev()
        .find(|e| e.aksi.jenis() == rekam_shared::workflow::JenisAksi::NomorAntrianDiberikan)
        .map(|e| {
            e.waktu
                .with_timezone(&tz)
                .format("%d-%m-%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let body = format!(
        r#"<div class="slip" id="tanda-terima">{}<h1>BUKTI TANDA TERIMA PERMOHONAN</h1><p style="text-align:center">Perekaman Data KTP Elektronik</p>
<div class="nomor" id="slip-nomor">{n:03}</div><p style="text-align:center">Nomor antrian perekaman</p>
<div class="grid2"><span>NIK</span><b>{}</b><span>Nama</span><b>{}</b><span>Alamat</span><span>{}, RT {:03}/RW {:03}, {}</span>
<span>Diterima</span><span>{diberi} WIB</span><span>Nomor permohonan</span><span style="font-size:.75rem">{}</span></div>
<p style="font-size:.8rem">Tunggu nomor Anda dipanggil di loket perekaman. Berkas persyaratan diteruskan ke operator perekaman.</p>
<div class="ttd"><span>Penduduk</span><span>Operator registrasi<br><br>{}</span></div></div>"#,
        kop(&state),
        v.penduduk.nik,
        esc(&v.penduduk.nama),
        esc(&v.penduduk.alamat),
        v.penduduk.rt,
        v.penduduk.rw,
        esc(&v.penduduk.nagari),
        esc(&v.id),
        esc(&v
            .peristiwa
            .iter()
            .rev()
            .find(|e| e.aksi.jenis() == rekam_shared::workflow::JenisAksi::NomorAntrianDiberikan)
            .map(|e| e.operator.clone())
            .unwrap_or_default())
    );
    html(StatusCode::OK, slip("Bukti tanda terima permohonan", &body))
}

async fn bukti(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Path(id): Path<String>,
) -> Response {
    let v = match desk::view(&state, &id).await {
        Ok(v) => v,
        Err(e) => return html(e.status, page("Galat", Some(&sesi.operator), &galat(&e))),
    };
    let Some(nomor) = v.nomor_bukti.clone() else {
        let e = ApiError::conflict(Some("nomor_bukti"), "belum terekam");
        return html(e.status, page("Galat", Some(&sesi.operator), &galat(&e)));
    };
    let tz = state.config.offset();
    let rekam = v
        .peristiwa
        .iter()
        .find(|e| e.aksi.jenis() == rekam_shared::workflow::JenisAksi::PerekamanBerhasil);
    let jari = v
        .biometrik
        .iter()
        .filter(|c| c.modality == "finger")
        .count();
    let iris = v.biometrik.iter().filter(|c| c.modality == "iris").count();
    let body = format!(
        r#"<div class="slip" id="bukti-perekaman">{}<h1>TANDA BUKTI PEREKAMAN</h1><p style="text-align:center">KTP Elektronik</p>
<div class="grid2"><span>Nomor bukti</span><b id="slip-bukti">{}</b><span>NIK</span><b>{}</b><span>Nama</span><b>{}</b>
<span>Tempat/tgl lahir</span><span>{}, {}</span><span>Alamat</span><span>{}, RT {:03}/RW {:03}, {}</span>
<span>Direkam</span><span>{} WIB</span><span>Data direkam</span><span>{jari} sidik jari, {iris} iris, foto, tanda tangan</span></div>
<p style="font-size:.8rem">Simpan tanda bukti ini. Tanda bukti ini bukan pengganti KTP-el.</p>
<div class="ttd"><span>Penduduk</span><span>Operator perekaman<br><br>{}</span></div></div>"#,
        kop(&state),
        esc(&nomor),
        v.penduduk.nik,
        esc(&v.penduduk.nama),
        esc(&v.penduduk.tempat_lahir),
        v.penduduk.tanggal_lahir.format("%d-%m-%Y"),
        esc(&v.penduduk.alamat),
        v.penduduk.rt,
        v.penduduk.rw,
        esc(&v.penduduk.nagari),
        rekam
            .map(|e| e
                .waktu
                .with_timezone(&tz)
                .format("%d-%m-%Y %H:%M")
                .to_string())
            .unwrap_or_default(),
        esc(&rekam.map(|e| e.operator.clone()).unwrap_or_default())
    );
    html(StatusCode::OK, slip("Tanda bukti perekaman", &body))
}

// ---------------------------------------------------------------- register book

async fn buku_page(
    State(state): State<AppState>,
    SesiHalaman(sesi): SesiHalaman,
    Query(q): Query<TanggalQuery>,
) -> Response {
    let t = match tanggal_or_today(&state, q.tanggal.as_deref()) {
        Ok(t) => t,
        Err(e) => return html(e.status, page("Galat", Some(&sesi.operator), &galat(&e))),
    };
    let tz = state.config.offset();
    let t2 = t.clone();
    let data = state
        .db
        .read(move |c| Ok::<_, ApiError>((buku::buku(c, &t2, tz)?, buku::statistik(c, &t2)?)))
        .await;
    let (rows, stat) = match data {
        Ok(r) => r,
        Err(e) => return html(e.status, page("Galat", Some(&sesi.operator), &galat(&e))),
    };
    let mut tr = String::new();
    for b in &rows {
        let late = if b.terlambat.is_empty() {
            String::new()
        } else {
            format!(
                r#"<br><span class="terlambat">{}</span>"#,
                esc(&b.terlambat.join("; "))
            )
        };
        tr.push_str(&format!(
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td><a href="/permohonan/{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            b.no,
            esc(&b.jam_datang),
            esc(&b.nik),
            esc(&b.id),
            esc(&b.nama),
            b.jenis_kelamin,
            esc(&b.alamat),
            esc(&b.hasil),
            b.nomor_antrian.map(|n| format!("{n:03}")).unwrap_or_default(),
            esc(b.nomor_bukti.as_deref().unwrap_or("")),
            esc(&format!("{} / {}", b.operator_registrasi, b.operator_perekaman)),
            buku::menit_detik(b.detik_langkah[0]),
            buku::menit_detik(b.detik_langkah[1]),
            buku::menit_detik(b.detik_langkah[2]),
            buku::menit_detik(b.detik_langkah[3]) + &late,
        ));
    }
    if rows.is_empty() {
        tr.push_str("<tr><td colspan=15>Belum ada permohonan.</td></tr>");
    }
    let standar: Vec<String> = buku::standar()
        .into_iter()
        .map(|(n, l, s)| format!("Langkah {n} ({}): {}", esc(l), esc(s)))
        .collect();
    let body = format!(
        r#"<div class="buku-cetak">{}<h1>Buku BHPPK: pendaftaran perekaman KTP-el, {t}</h1>
<form class="tanpa-cetak" method="get" action="/buku"><input type="date" name="tanggal" value="{t}" style="width:12rem"> <button class="kedua">Tampilkan</button>
<a href="/buku.csv?tanggal={t}" id="unduh-csv">Unduh CSV</a> <button type="button" onclick="window.print()">Cetak</button></form>
<p style="font-size:.8rem">Standar waktu: {}.</p>
<table id="buku"><tr><th>No</th><th>Jam</th><th>NIK</th><th>Nama</th><th>L/P</th><th>Alamat</th><th>Hasil</th><th>Antrian</th><th>No. bukti</th><th>Operator reg./rek.</th><th>L1</th><th>L2</th><th>L3</th><th>L4</th></tr>{tr}</table>
<h2>Statistik waktu layanan</h2>{}</div>"#,
        kop(&state),
        standar.join("; "),
        statistik_tabel(&stat)
    );
    html(
        StatusCode::OK,
        page("Buku BHPPK", Some(&sesi.operator), &body),
    )
}

fn langkah_tabel(rows: &[rekam_shared::workflow::statistik::RingkasanLangkah]) -> String {
    let mut s = String::from(
        "<tr><th>Langkah</th><th>Standar</th><th>Selesai</th><th>Terlambat</th><th>Median</th><th>P90</th><th>Terlama</th></tr>",
    );
    for r in rows {
        s.push_str(&format!(
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.langkah.nomor(),
            esc(r.langkah.label()),
            esc(r.langkah.standar()),
            r.jumlah,
            r.terlambat,
            buku::menit_detik(r.median_detik),
            buku::menit_detik(r.p90_detik),
            buku::menit_detik(r.maks_detik)
        ));
    }
    s
}

fn statistik_tabel(st: &buku::Statistik) -> String {
    let mut s = format!(
        r#"<p>{} permohonan.</p><table id="statistik">{}</table>"#,
        st.kantor.jumlah_permohonan,
        langkah_tabel(&st.kantor.langkah)
    );
    for (op, rows) in &st.per_operator {
        let rows: Vec<_> = rows.iter().filter(|r| r.jumlah > 0).cloned().collect();
        s.push_str(&format!(
            "<h2>Operator {}</h2><table>{}</table>",
            esc(op),
            langkah_tabel(&rows)
        ));
    }
    s
}

// ---------------------------------------------------------------- supervisor pages

async fn audit_page(State(state): State<AppState>, SesiHalaman(sesi): SesiHalaman) -> Response {
    if sesi.operator.peran != crate::peran::Peran::KepalaUkl {
        let e = ApiError::forbidden("melihat log audit");
        return html(
            e.status,
            page("Log audit", Some(&sesi.operator), &galat(&e)),
        );
    }
    let data = state
        .db
        .read(|c| {
            let log = crate::audit::latest(c, 300)?;
            let ops = crate::auth::list_operators(c)?;
            Ok::<_, ApiError>((log, ops))
        })
        .await;
    let (log, ops) = match data {
        Ok(d) => d,
        Err(e) => {
            return html(
                e.status,
                page("Log audit", Some(&sesi.operator), &galat(&e)),
            );
        }
    };
    let mut o = String::from("<table><tr><th>Nama pengguna</th><th>Peran</th><th>Status</th></tr>");
    for (op, disabled) in &ops {
        o.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&op.username),
            super::html::label_peran(op.peran),
            if *disabled { "nonaktif" } else { "aktif" }
        ));
    }
    o.push_str("</table>");
    let mut a = String::from(
        r#"<table id="audit"><tr><th>Waktu (UTC)</th><th>Operator</th><th>Tindakan</th><th>Permohonan</th><th>Keterangan</th></tr>"#,
    );
    for e in &log {
        a.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(e.at.get(..19).unwrap_or(&e.at)),
            esc(&e.operator),
            esc(&e.action),
            e.permohonan_id
                .as_deref()
                .map(|id| format!(r#"<a href="/permohonan/{0}">{0}</a>"#, esc(id)))
                .unwrap_or_default(),
            esc(&e.detail)
        ));
    }
    a.push_str("</table>");
    let body = format!(
        "<h1>Kepala UKL: operator dan log audit</h1><h2>Operator</h2>{o}<p>Operator ditambah/dinonaktifkan dengan <code>rekam-agent user add|disable</code>.</p><h2>Log audit (300 terakhir)</h2>{a}"
    );
    html(
        StatusCode::OK,
        page("Log audit", Some(&sesi.operator), &body),
    )
}

/// The page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/rekam.css", get(css))
        .route("/login", get(login_get).post(login_post))
        .route("/logout", post(logout))
        .route("/", get(beranda))
        .route("/registrasi", get(registrasi_get).post(registrasi_post))
        .route("/permohonan/{id}", get(permohonan_get))
        .route("/permohonan/{id}/tanda-terima", get(tanda_terima))
        .route("/permohonan/{id}/bukti", get(bukti))
        .route("/permohonan/{id}/rekam/{modality}", post(rekam_post))
        .route("/permohonan/{id}/{aksi}", post(permohonan_post))
        .route("/perekaman", get(perekaman_get))
        .route("/perekaman/panggil", post(panggil_berikut))
        .route("/antrian", get(antrian_page))
        .route("/buku", get(buku_page))
        .route("/audit", get(audit_page))
}
