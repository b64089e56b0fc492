//! What both desks list: today's applications in some statuses (queue number, NIK, name,
//! status), and the devices' status line filled in by `/static/perangkat.js`.

use maud::{Markup, html};

use crate::desk::{buku, store};
use crate::web::AppState;

/// Today's applications (created or queued today) in `statuses`, in queue order.
pub async fn hari_ini(state: &AppState, statuses: &'static [&'static str]) -> Vec<store::Row> {
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

/// The table of `rows` with a link to each application.
pub fn tabel(rows: &[store::Row]) -> Markup {
    html! {
        table {
            tr { th { "Antrian" } th { "NIK" } th { "Nama" } th { "Status" } th {} }
            @for r in rows {
                @let p = &r.permohonan;
                tr {
                    td { (r.nomor_antrian.map(|n| format!("{n:03}")).unwrap_or_else(|| "-".into())) }
                    td { (p.penduduk().nik.to_string()) }
                    td { (p.penduduk().nama) }
                    td { (buku::label_status(p.status())) }
                    td { a href={ "/permohonan/" (p.id()) } { "buka" } }
                }
            }
            @if rows.is_empty() {
                tr { td colspan="5" { "Tidak ada." } }
            }
        }
    }
}

/// The devices' status line (filled in the browser: a slow or absent device never delays the
/// page).
pub fn perangkat() -> Markup {
    html! {
        div class="kartu" id="perangkat" { "Perangkat: memeriksa…" }
        script src="/static/perangkat.js" {}
    }
}
