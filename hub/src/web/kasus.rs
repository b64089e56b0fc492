//! Dedup cases (kasus) and their adjudication.
//!
//! - `GET /kasus`: open cases (`perlu_adjudikasi`, the most serious kind first), then decided
//!   ones (decided by a person, or duplicates). No personal data on this list.
//! - `GET /kasus/{id}`: a case side by side: both applications' demographics, who recorded each
//!   and when, photos and signatures, the per-finger and per-eye scores of
//!   [`crate::dedup::Dedup::explain`]. Audited (`web.lihat`, and `dedup.explain` by explain).
//! - `POST /kasus/{id}/putuskan` (pengadjudikasi): "duplikat" / "bukan duplikat" with a
//!   mandatory reason, written by [`crate::cli::keputusan_orang`] + [`crate::sync::decide`],
//!   the same path as `rekam-hub decide`, so the decision reaches the office by sync.
//! - `GET /berkas/{sha}?permohonan=ID`: a photo or signature of application ID from the blob
//!   store, only if ID references it; audited (`web.berkas`).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use rekam_shared::document::{BlobRef, HasilDedup, JenisTemuan, Keputusan};
use rekam_shared::workflow::{Aksi, Peristiwa};
use serde::Deserialize;

use super::WebState;
use super::sesi::{self, Pengadjudikasi, RequireRole, Viewer, blocking, json_error};
use super::tampilan::{self, Teks};
use crate::dedup::explain::Penjelasan;
use crate::storage::Storage;

/// Longest reason accepted.
pub const MAX_ALASAN: usize = 1000;

/// One row of the cases list.
#[derive(Debug, Clone)]
pub struct Baris {
    /// Application id.
    pub id: String,
    /// Kecamatan.
    pub kecamatan: String,
    /// The decision.
    pub keputusan: Keputusan,
}

fn serius(j: Option<JenisTemuan>) -> usize {
    j.and_then(|j| JenisTemuan::ALL.iter().position(|x| *x == j))
        .unwrap_or(JenisTemuan::ALL.len())
}

/// The cases: open ones (most serious kind first, then oldest), then decided ones (newest
/// first). Reads every stored decision (the statistics read model will replace this scan).
pub fn cases(
    storage: &dyn Storage,
) -> Result<(Vec<Baris>, Vec<Baris>), crate::storage::StorageError> {
    let mut open = Vec::new();
    let mut decided = Vec::new();
    for id in storage.doc_ids(None)? {
        let Some(stored) = storage.load_doc(&id)? else {
            continue;
        };
        let Ok(doc) = crate::sync::load_for_hub(&stored.bytes) else {
            continue;
        };
        let Ok(Some(k)) = doc.keputusan() else {
            continue;
        };
        let b = Baris {
            id,
            kecamatan: stored.kecamatan,
            keputusan: k,
        };
        if b.keputusan.hasil == HasilDedup::PerluAdjudikasi {
            open.push(b);
        } else if b.keputusan.oleh != crate::dedup::SISTEM
            || b.keputusan.hasil == HasilDedup::Duplikat
        {
            decided.push(b);
        }
    }
    open.sort_by(|a, b| {
        serius(a.keputusan.jenis)
            .cmp(&serius(b.keputusan.jenis))
            .then(a.keputusan.waktu.cmp(&b.keputusan.waktu))
    });
    decided.sort_by_key(|b| std::cmp::Reverse(b.keputusan.waktu));
    Ok((open, decided))
}

pub(super) fn waktu(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&crate::statistik::baris::zona())
        .format("%Y-%m-%d %H:%M WIB")
        .to_string()
}

/// A kecamatan as district staff know it: its name and code ("Pancung Soal (130104)"), or the
/// bare code when it is not one of Pesisir Selatan's.
pub(super) fn nama_kecamatan(kode: &str) -> String {
    kode.parse::<rekam_shared::region::KodeKecamatan>()
        .ok()
        .and_then(rekam_shared::region::kecamatan_pesisir_selatan)
        .map(|k| format!("{} ({kode})", k.nama))
        .unwrap_or_else(|| kode.to_owned())
}

fn jenis_label(j: Option<JenisTemuan>) -> &'static str {
    j.map_or("-", JenisTemuan::label)
}

/// `GET /kasus`.
pub async fn daftar(
    State(st): State<WebState>,
    headers: HeaderMap,
    RequireRole(m, _): RequireRole<Viewer>,
) -> Response {
    let t = Teks::dari(&headers);
    let storage = st.storage.clone();
    let (open, decided) = match blocking(move || cases(storage.as_ref())).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let tabel = |rows: &[Baris], id: &str, terbuka: bool| -> Markup {
        html! {
            @if rows.is_empty() { p { (t.tidak_ada) } } @else {
                table id=(id) {
                    thead { tr {
                        th { (t.permohonan) } th { (t.kecamatan) } th { (t.jenis) }
                        th { (t.hasil) } th { (t.oleh) } th { (t.waktu) }
                    } }
                    tbody {
                        @for b in rows {
                            tr.serius[terbuka && b.keputusan.jenis == Some(JenisTemuan::IdentitasGanda)] {
                                td { a href={ "/kasus/" (b.id) } { (b.id) } }
                                td { (nama_kecamatan(&b.kecamatan)) }
                                td { (jenis_label(b.keputusan.jenis)) }
                                td.hasil { (b.keputusan.hasil.label()) }
                                td { (b.keputusan.oleh) }
                                td { (waktu(&b.keputusan.waktu)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let isi = html! {
        h1 { (t.menu_kasus) }
        h2 { (t.kasus_terbuka) " (" (open.len()) ")" }
        (tabel(&open, "kasus-terbuka", true))
        h2 { (t.kasus_diputuskan) " (" (decided.len()) ")" }
        (tabel(&decided, "kasus-diputuskan", false))
    };
    tampilan::html_response(
        StatusCode::OK,
        tampilan::halaman(t, Some(&m), t.menu_kasus, isi),
    )
}

/// What the case page shows of one application.
#[derive(Debug, Clone, Default)]
pub struct Ringkasan {
    /// Application id.
    pub id: String,
    /// Kecamatan (owner of the document).
    pub kecamatan: String,
    /// Resident's name.
    pub nama: Option<String>,
    /// NIK.
    pub nik: Option<String>,
    /// Place of birth.
    pub tempat_lahir: Option<String>,
    /// Date of birth.
    pub tanggal_lahir: Option<String>,
    /// Nagari.
    pub nagari: Option<String>,
    /// Recording operator and time (the "perekaman berhasil" event).
    pub direkam: Option<(String, chrono::DateTime<chrono::Utc>)>,
    /// Photo.
    pub foto: Option<BlobRef>,
    /// Signature.
    pub tanda_tangan: Option<BlobRef>,
    /// The decision.
    pub keputusan: Option<Keputusan>,
}

/// The summary of application `id`, `None` if the hub lacks it.
pub fn ringkasan(
    storage: &dyn Storage,
    id: &str,
) -> Result<Option<Ringkasan>, crate::storage::StorageError> {
    let Some(stored) = storage.load_doc(id)? else {
        return Ok(None);
    };
    let Ok(doc) = crate::sync::load_for_hub(&stored.bytes) else {
        return Ok(Some(Ringkasan {
            id: id.to_owned(),
            kecamatan: stored.kecamatan,
            ..Default::default()
        }));
    };
    let p = doc
        .penduduk_as::<serde_json::Value>()
        .ok()
        .flatten()
        .unwrap_or_default();
    let s = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let direkam = doc
        .peristiwa_as::<Peristiwa>()
        .unwrap_or_default()
        .into_iter()
        .rfind(|e| matches!(e.aksi, Aksi::PerekamanBerhasil { .. }))
        .map(|e| (e.operator, e.waktu));
    let bio = doc.biometrik().unwrap_or_default();
    Ok(Some(Ringkasan {
        id: id.to_owned(),
        kecamatan: stored.kecamatan,
        nama: s("nama"),
        nik: crate::sync::nik_of(&doc),
        tempat_lahir: s("tempat_lahir"),
        tanggal_lahir: s("tanggal_lahir"),
        nagari: s("nagari"),
        direkam,
        foto: bio.foto,
        tanda_tangan: bio.tanda_tangan,
        keputusan: doc.keputusan().ok().flatten(),
    }))
}

fn kartu(t: &Teks, judul: &str, r: &Ringkasan) -> Markup {
    let o = |v: &Option<String>| v.clone().unwrap_or_else(|| t.kosong.to_owned());
    html! {
        section.kartu data-permohonan=(r.id) {
            h2 { (judul) ": " (r.id) }
            dl {
                dt { (t.nama) } dd.nama { (o(&r.nama)) }
                dt { (t.nik) } dd.nik { (o(&r.nik)) }
                dt { (t.lahir) } dd { (o(&r.tempat_lahir)) ", " (o(&r.tanggal_lahir)) }
                dt { (t.kecamatan) } dd { (nama_kecamatan(&r.kecamatan)) }
                dt { (t.nagari) } dd { (o(&r.nagari)) }
                dt { (t.direkam) } dd {
                    @match &r.direkam {
                        Some((op, w)) => { (op) ", " (waktu(w)) }
                        None => { (t.kosong) }
                    }
                }
                @if let Some(k) = &r.keputusan {
                    dt { (t.hasil) } dd { (k.hasil.label()) " (" (k.oleh) ", " (waktu(&k.waktu)) ")" }
                    dt { (t.catatan) } dd { (k.catatan) }
                }
            }
            div.gambar {
                @if let Some(f) = &r.foto {
                    figure { img src={ "/berkas/" (f.sha256) "?permohonan=" (r.id) } alt=(t.foto); figcaption { (t.foto) } }
                }
                @if let Some(f) = &r.tanda_tangan {
                    figure { img src={ "/berkas/" (f.sha256) "?permohonan=" (r.id) } alt=(t.tanda_tangan); figcaption { (t.tanda_tangan) } }
                }
            }
        }
    }
}

fn skor_tabel(t: &Teks, p: &Penjelasan) -> Markup {
    html! {
        h2 { (t.skor) }
        table #skor {
            thead { tr {
                th { (t.permohonan) } th { (t.skor_gabungan) } th { "putusan" }
                th { "iris" } th { "sidik jari" }
            } }
            tbody {
                @for k in &p.kandidat {
                    tr {
                        td { a href={ "/kasus/" (k.permohonan) } { (k.permohonan) } }
                        td.skor-tinggi[k.putusan != "tidak_cocok"] { (format!("{:.1}", k.skor)) }
                        td { (k.putusan) }
                        td { @for i in &k.iris { (i.mata) ": " (format!("{:.3}", i.jarak)) " (" (format!("{:.1}", i.skor)) ") " } }
                        td {
                            @if k.sidik_jari_dilewati { "-" }
                            @for j in &k.sidik_jari { (j.jari) ": " (format!("{:.1}", j.skor)) " " }
                        }
                    }
                }
            }
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= rekam_shared::document::MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET /kasus/{id}`.
pub async fn halaman(
    State(st): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RequireRole(m, _): RequireRole<Viewer>,
) -> Response {
    let t = Teks::dari(&headers);
    if !valid_id(&id) {
        return json_error(StatusCode::BAD_REQUEST, "id permohonan tidak sah", "id");
    }
    let (storage, dedup, id2, nama) = (
        st.storage.clone(),
        st.dedup.clone(),
        id.clone(),
        m.nama.clone(),
    );
    let found = blocking(move || {
        let Some(subjek) = ringkasan(storage.as_ref(), &id2)? else {
            return Ok(None);
        };
        let p = dedup
            .explain(storage.as_ref(), &id2, &nama)
            .map_err(|e| crate::storage::StorageError::Backend(e.to_string()))?;
        let lawan_id: Option<String> = p.as_ref().and_then(|p| {
            p.kandidat
                .iter()
                .find(|k| k.disebut_keputusan)
                .or(p.kandidat.first())
                .map(|k| k.permohonan.clone())
        });
        let lawan = match lawan_id {
            Some(l) => ringkasan(storage.as_ref(), &l)?,
            None => None,
        };
        Ok(Some((subjek, lawan, p)))
    })
    .await;
    let (subjek, lawan, p) = match found {
        Ok(Some(x)) => x,
        Ok(None) => return tampilan::pesan(t, Some(&m), StatusCode::NOT_FOUND, t.tidak_ditemukan),
        Err(r) => return r,
    };
    let mut dilihat = vec![subjek.id.clone()];
    dilihat.extend(lawan.iter().map(|l| l.id.clone()));
    if let Err(r) = sesi::audit(&st, &m.nama, "web.lihat", Some(&id), dilihat.join(",")).await {
        return r;
    }
    let terbuka = subjek
        .keputusan
        .as_ref()
        .is_some_and(|k| k.hasil == HasilDedup::PerluAdjudikasi);
    let boleh = m.peran >= crate::pengguna::Peran::Pengadjudikasi;
    let isi = html! {
        h1 { (t.menu_kasus) ": " (id) }
        @if let Some(k) = &subjek.keputusan {
            p #jenis { (t.jenis) ": " (jenis_label(k.jenis)) }
        }
        div.berdampingan {
            (kartu(t, t.yang_diperiksa, &subjek))
            @if let Some(l) = &lawan { (kartu(t, t.pembanding, l)) } @else { section.kartu { p { (t.tidak_ada) } } }
        }
        @if let Some(p) = &p { (skor_tabel(t, p)) }
        h2 { (t.putuskan) }
        @if !terbuka {
            p #sudah { (t.sudah_diputuskan) }
        } @else if boleh {
            form #putuskan method="post" action={ "/kasus/" (id) "/putuskan" } {
                input type="hidden" name="csrf" value=(m.csrf);
                @if let Some(l) = &lawan { input type="hidden" name="dari" value=(l.id); }
                label { input type="radio" name="hasil" value="duplikat" required; " " (t.duplikat) }
                label { input type="radio" name="hasil" value="bukan_duplikat"; " " (t.bukan_duplikat) }
                label for="alasan" { (t.alasan) }
                textarea #alasan name="alasan" required maxlength=(MAX_ALASAN) {}
                button #simpan type="submit" { (t.simpan) }
            }
        } @else {
            p { (t.dilarang) }
        }
    };
    tampilan::html_response(StatusCode::OK, tampilan::halaman(t, Some(&m), &id, isi))
}

/// The decision form.
#[derive(Debug, Deserialize)]
pub struct PutusanForm {
    /// `duplikat` or `bukan_duplikat`.
    #[serde(default)]
    pub hasil: String,
    /// Why (mandatory).
    #[serde(default)]
    pub alasan: String,
    /// The application this one duplicates (for `duplikat`).
    #[serde(default)]
    pub dari: String,
}

/// `POST /kasus/{id}/putuskan`.
pub async fn putuskan(
    State(st): State<WebState>,
    Path(id): Path<String>,
    RequireRole(m, _): RequireRole<Pengadjudikasi>,
    Form(f): Form<PutusanForm>,
) -> Response {
    if !valid_id(&id) {
        return json_error(StatusCode::BAD_REQUEST, "id permohonan tidak sah", "id");
    }
    let hasil = match f.hasil.as_str() {
        "duplikat" => HasilDedup::Duplikat,
        "bukan_duplikat" => HasilDedup::Unik,
        _ => {
            return json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pilih duplikat atau bukan_duplikat",
                "hasil",
            );
        }
    };
    let alasan = f.alasan.trim().to_owned();
    if alasan.is_empty() {
        return json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "alasan wajib diisi",
            "alasan",
        );
    }
    if alasan.chars().count() > MAX_ALASAN {
        return json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("alasan paling banyak {MAX_ALASAN} karakter"),
            "alasan",
        );
    }
    let dari = f.dari.trim().to_owned();
    if hasil == HasilDedup::Duplikat && !valid_id(&dari) {
        return json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "permohonan pembanding wajib untuk duplikat",
            "dari",
        );
    }
    let (storage, id2, nama) = (st.storage.clone(), id.clone(), m.nama.clone());
    let r = blocking(move || {
        let Some(r) = ringkasan(storage.as_ref(), &id2)? else {
            return Ok(Err((StatusCode::NOT_FOUND, "permohonan tidak ada", "id")));
        };
        if r.keputusan.as_ref().map(|k| k.hasil) != Some(HasilDedup::PerluAdjudikasi) {
            return Ok(Err((
                StatusCode::CONFLICT,
                "kasus ini tidak menunggu adjudikasi",
                "id",
            )));
        }
        let duplikat_dari = if hasil == HasilDedup::Duplikat {
            if storage.load_doc(&dari)?.is_none() {
                return Ok(Err((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "permohonan pembanding tidak ada",
                    "dari",
                )));
            }
            vec![dari]
        } else {
            Vec::new()
        };
        let k = crate::cli::keputusan_orang(hasil, nama, alasan, duplikat_dari);
        match crate::sync::decide(storage.as_ref(), &id2, &k) {
            Ok(()) => Ok(Ok(())),
            Err(crate::sync::DecideError::Storage(e)) => Err(e),
            Err(e) => {
                tracing::error!(permohonan = %id2, error = %e, "web decision not written");
                Ok(Err((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "keputusan tidak dapat ditulis",
                    "id",
                )))
            }
        }
    })
    .await;
    match r {
        Ok(Ok(())) => Redirect::to(&format!("/kasus/{id}")).into_response(),
        Ok(Err((s, e, field))) => json_error(s, e, field),
        Err(r) => r,
    }
}

/// The blob route's query.
#[derive(Debug, Deserialize)]
pub struct BerkasQuery {
    /// The application whose photo or signature it is.
    #[serde(default)]
    pub permohonan: String,
}

/// `GET /berkas/{sha}?permohonan=ID`.
pub async fn berkas(
    State(st): State<WebState>,
    Path(sha): Path<String>,
    Query(q): Query<BerkasQuery>,
    RequireRole(m, _): RequireRole<Viewer>,
) -> Response {
    if sha.len() != 64
        || !sha
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return json_error(StatusCode::BAD_REQUEST, "sha256 tidak sah", "sha");
    }
    if !valid_id(&q.permohonan) {
        return json_error(
            StatusCode::BAD_REQUEST,
            "id permohonan tidak sah",
            "permohonan",
        );
    }
    let (storage, id, sha2) = (st.storage.clone(), q.permohonan.clone(), sha.clone());
    let found = blocking(move || {
        let Some(r) = ringkasan(storage.as_ref(), &id)? else {
            return Ok(None);
        };
        let Some(b) = r
            .foto
            .into_iter()
            .chain(r.tanda_tangan)
            .find(|b| b.sha256 == sha2)
        else {
            return Ok(None);
        };
        Ok(storage.get_blob(&sha2)?.map(|bytes| (b.media_type, bytes)))
    })
    .await;
    let (media, bytes) = match found {
        Ok(Some(x)) => x,
        Ok(None) => return json_error(StatusCode::NOT_FOUND, "berkas tidak ada", "sha"),
        Err(r) => return r,
    };
    if let Err(r) = sesi::audit(&st, &m.nama, "web.berkas", Some(&q.permohonan), sha).await {
        return r;
    }
    let ct = if media.starts_with("image/") {
        HeaderValue::from_str(&media)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static("application/octet-stream")
    };
    ([(header::CONTENT_TYPE, ct)], bytes).into_response()
}
