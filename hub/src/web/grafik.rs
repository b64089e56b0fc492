//! Charts (grafik) of the dashboard: SVG pictures rendered by the server with maud (which
//! escapes every label), no JavaScript, no external resource, colours as SVG attributes (the
//! CSP allows no inline style), printable. Pure functions of their data:
//!
//! - [`batang`]: a bar chart (coverage per kecamatan, a duration histogram per step);
//! - [`garis`]: a line chart of one or more series over days (the trend per day).
//!
//! Empty data gives an empty frame with a message instead of bars. Every SVG element is closed
//! explicitly (`rect {}`): in HTML an unclosed `<rect>` inside `<svg>` would swallow what follows.

use maud::{Markup, html};

/// One bar: its label and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Batang {
    /// Label under the bar.
    pub label: String,
    /// Value (negative values are drawn as 0).
    pub nilai: f64,
}

/// One line of a line chart: a name and one value per point.
#[derive(Debug, Clone, PartialEq)]
pub struct Seri {
    /// Legend.
    pub nama: String,
    /// One value per label of the chart.
    pub nilai: Vec<f64>,
}

/// Width and height of every chart (SVG user units; the CSS scales it to the column).
pub const LEBAR: f64 = 720.0;
/// Height of every chart.
pub const TINGGI: f64 = 260.0;
const KIRI: f64 = 48.0;
const ATAS: f64 = 16.0;
const BAWAH: f64 = 64.0;
const WARNA: [&str; 6] = [
    "#0b4f6c", "#c05717", "#2e7d32", "#6a1b9a", "#a1260d", "#00838f",
];

/// Height of the plot area.
pub const TINGGI_PLOT: f64 = TINGGI - ATAS - BAWAH;

/// The heights of bars of `nilai` in a plot `tinggi` high: proportional to the value, the
/// largest value fills the plot; all zero (or empty) gives zeros.
pub fn tinggi_batang(nilai: &[f64], tinggi: f64) -> Vec<f64> {
    let max = nilai.iter().copied().fold(0.0_f64, f64::max);
    nilai
        .iter()
        .map(|&v| {
            if max > 0.0 {
                v.max(0.0) / max * tinggi
            } else {
                0.0
            }
        })
        .collect()
}

fn angka(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

fn r1(v: f64) -> String {
    format!("{v:.1}")
}

fn kosong(judul: &str, pesan: &str) -> Markup {
    html! {
        svg.grafik viewBox={ "0 0 " (LEBAR) " " (TINGGI) } role="img" aria-label=(judul) data-kosong="1" {
            title { (judul) }
            rect x="0.5" y="0.5" width=(LEBAR - 1.0) height=(TINGGI - 1.0) fill="#fff" stroke="#ccd" {}
            text x=(LEBAR / 2.0) y=(TINGGI / 2.0) text-anchor="middle" fill="#55616b" { (pesan) }
        }
    }
}

/// A bar chart titled `judul`; `satuan` follows each value ("%", ""); `garis_acuan`, if any,
/// draws a dashed reference line at that value (e.g. 100 % of the target). Empty `data` gives
/// the frame with `pesan_kosong`.
pub fn batang(
    judul: &str,
    data: &[Batang],
    satuan: &str,
    garis_acuan: Option<f64>,
    pesan_kosong: &str,
) -> Markup {
    if data.is_empty() {
        return kosong(judul, pesan_kosong);
    }
    let mut nilai: Vec<f64> = data.iter().map(|b| b.nilai).collect();
    // The reference line is inside the scale.
    if let Some(a) = garis_acuan {
        nilai.push(a);
    }
    let h = tinggi_batang(&nilai, TINGGI_PLOT);
    let max = nilai.iter().copied().fold(0.0_f64, f64::max);
    let lebar_plot = LEBAR - KIRI - 8.0;
    let slot = lebar_plot / data.len() as f64;
    let w = (slot * 0.7).max(1.0);
    let dasar = ATAS + TINGGI_PLOT;
    let miring = data.len() > 12;
    html! {
        svg.grafik viewBox={ "0 0 " (LEBAR) " " (TINGGI) } role="img" aria-label=(judul) {
            title { (judul) }
            rect x="0.5" y="0.5" width=(LEBAR - 1.0) height=(TINGGI - 1.0) fill="#fff" stroke="#ccd" {}
            line x1=(KIRI) y1=(dasar) x2=(LEBAR - 8.0) y2=(dasar) stroke="#55616b" {}
            text x=(KIRI - 4.0) y=(ATAS + 4.0) text-anchor="end" font-size="11" fill="#55616b" { (angka(max)) (satuan) }
            text x=(KIRI - 4.0) y=(dasar) text-anchor="end" font-size="11" fill="#55616b" { "0" }
            @for (i, b) in data.iter().enumerate() {
                @let x = KIRI + slot * i as f64 + (slot - w) / 2.0;
                @let tb = h[i];
                g.batang {
                    rect x=(r1(x)) y=(r1(dasar - tb)) width=(r1(w)) height=(r1(tb)) fill=(WARNA[0]) data-nilai=(angka(b.nilai)) {
                        title { (b.label) ": " (angka(b.nilai)) (satuan) }
                    }
                    @if !miring {
                        text x=(r1(x + w / 2.0)) y=(r1(dasar - tb - 3.0)) text-anchor="middle" font-size="11" fill="#1d2327" { (angka(b.nilai)) (satuan) }
                        text x=(r1(x + w / 2.0)) y=(r1(dasar + 14.0)) text-anchor="middle" font-size="11" fill="#1d2327" { (b.label) }
                    } @else {
                        text x=(r1(x + w / 2.0)) y=(r1(dasar + 8.0)) text-anchor="end" font-size="10" fill="#1d2327"
                            transform={ "rotate(-60 " (r1(x + w / 2.0)) " " (r1(dasar + 8.0)) ")" } { (b.label) }
                    }
                }
            }
            @if let (Some(a), Some(ha)) = (garis_acuan, h.last()) {
                line.acuan x1=(KIRI) y1=(r1(dasar - ha)) x2=(LEBAR - 8.0) y2=(r1(dasar - ha)) stroke="#a1260d" stroke-dasharray="6 4" {
                    title { (angka(a)) (satuan) }
                }
            }
        }
    }
}

/// A line chart titled `judul` of `seri` over `label` (one value of each series per label),
/// with a legend. No labels, or no series, gives the frame with `pesan_kosong`.
pub fn garis(judul: &str, label: &[String], seri: &[Seri], pesan_kosong: &str) -> Markup {
    if label.is_empty() || seri.is_empty() {
        return kosong(judul, pesan_kosong);
    }
    let semua: Vec<f64> = seri.iter().flat_map(|s| s.nilai.iter().copied()).collect();
    let max = semua.iter().copied().fold(0.0_f64, f64::max);
    let lebar_plot = LEBAR - KIRI - 8.0;
    let dasar = ATAS + TINGGI_PLOT;
    let langkah = if label.len() > 1 {
        lebar_plot / (label.len() - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| {
        KIRI + langkah * i as f64
            + if label.len() == 1 {
                lebar_plot / 2.0
            } else {
                0.0
            }
    };
    let y = |v: f64| {
        if max > 0.0 {
            dasar - v.max(0.0) / max * TINGGI_PLOT
        } else {
            dasar
        }
    };
    // At most about 12 day labels under the axis.
    let tiap = label.len().div_ceil(12).max(1);
    html! {
        svg.grafik viewBox={ "0 0 " (LEBAR) " " (TINGGI) } role="img" aria-label=(judul) {
            title { (judul) }
            rect x="0.5" y="0.5" width=(LEBAR - 1.0) height=(TINGGI - 1.0) fill="#fff" stroke="#ccd" {}
            line x1=(KIRI) y1=(dasar) x2=(LEBAR - 8.0) y2=(dasar) stroke="#55616b" {}
            text x=(KIRI - 4.0) y=(ATAS + 4.0) text-anchor="end" font-size="11" fill="#55616b" { (angka(max)) }
            text x=(KIRI - 4.0) y=(dasar) text-anchor="end" font-size="11" fill="#55616b" { "0" }
            @for (i, l) in label.iter().enumerate() {
                @if i % tiap == 0 {
                    text x=(r1(x(i))) y=(r1(dasar + 14.0)) text-anchor="middle" font-size="10" fill="#1d2327" { (l) }
                }
            }
            @for (n, s) in seri.iter().enumerate() {
                @let warna = WARNA[n % WARNA.len()];
                @let titik = s.nilai.iter().enumerate().map(|(i, &v)| format!("{},{}", r1(x(i)), r1(y(v)))).collect::<Vec<_>>().join(" ");
                polyline.seri points=(titik) fill="none" stroke=(warna) stroke-width="2" data-seri=(s.nama) {
                    title { (s.nama) }
                }
                rect x=(KIRI + 8.0 + 150.0 * n as f64) y=(TINGGI - 22.0) width="12" height="12" fill=(warna) {}
                text x=(KIRI + 24.0 + 150.0 * n as f64) y=(TINGGI - 12.0) font-size="11" fill="#1d2327" { (s.nama) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(v: &[(&str, f64)]) -> Vec<Batang> {
        v.iter()
            .map(|(l, n)| Batang {
                label: (*l).to_owned(),
                nilai: *n,
            })
            .collect()
    }

    /// The `height` attribute of every bar rect (`data-nilai` marks the bars).
    fn bar_heights(svg: &str) -> Vec<f64> {
        svg.split("<rect ")
            .filter(|r| r.contains("data-nilai="))
            .map(|r| {
                let at = r.find("height=\"").unwrap() + 8;
                r[at..at + r[at..].find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn bar_heights_are_proportional_to_values() {
        assert_eq!(
            tinggi_batang(&[10.0, 5.0, 0.0], 100.0),
            vec![100.0, 50.0, 0.0]
        );
        assert_eq!(tinggi_batang(&[0.0, 0.0], 100.0), vec![0.0, 0.0]);
        assert_eq!(tinggi_batang(&[-3.0, 6.0], 60.0), vec![0.0, 60.0]);
        let svg = batang(
            "t",
            &bars(&[("a", 40.0), ("b", 20.0), ("c", 10.0)]),
            "",
            None,
            "-",
        )
        .into_string();
        let h = bar_heights(&svg);
        assert_eq!(h.len(), 3, "{svg}");
        assert!((h[0] - TINGGI_PLOT).abs() < 0.06, "{h:?}");
        assert!((h[0] / h[1] - 2.0).abs() < 0.01, "{h:?}");
        assert!((h[1] / h[2] - 2.0).abs() < 0.02, "{h:?}");
    }

    #[test]
    fn the_reference_line_is_in_the_scale() {
        // 50 % against a 100 % line: the bar is half the plot.
        let svg = batang("t", &bars(&[("a", 50.0)]), "%", Some(100.0), "-").into_string();
        let h = bar_heights(&svg);
        assert!((h[0] - TINGGI_PLOT / 2.0).abs() < 0.06, "{h:?}");
        assert!(svg.contains("class=\"acuan\""), "{svg}");
        assert!(svg.contains("50%"), "{svg}");
    }

    #[test]
    fn empty_data_gives_an_empty_chart_with_a_message() {
        let svg = batang("Cakupan", &[], "%", None, "Belum ada data.").into_string();
        assert!(svg.contains("data-kosong=\"1\""), "{svg}");
        assert!(svg.contains("Belum ada data."), "{svg}");
        assert!(bar_heights(&svg).is_empty());
        let svg = garis("Tren", &[], &[], "Belum ada data.").into_string();
        assert!(
            svg.contains("data-kosong=\"1\"") && !svg.contains("polyline"),
            "{svg}"
        );
    }

    #[test]
    fn every_svg_element_is_closed() {
        let label: Vec<String> = ["1", "2"].map(String::from).to_vec();
        let seri = [Seri {
            nama: "a".to_owned(),
            nilai: vec![1.0, 2.0],
        }];
        for svg in [
            batang("t", &bars(&[("a", 1.0), ("b", 2.0)]), "%", Some(3.0), "-").into_string(),
            batang("t", &[], "%", None, "-").into_string(),
            garis("t", &label, &seri, "-").into_string(),
        ] {
            for tag in ["rect", "line", "polyline", "text", "g"] {
                assert_eq!(
                    svg.matches(&format!("<{tag} ")).count(),
                    svg.matches(&format!("</{tag}>")).count(),
                    "<{tag}> not closed in {svg}"
                );
            }
        }
    }

    #[test]
    fn labels_are_escaped() {
        let svg = batang("<judul>", &bars(&[("<script>&", 1.0)]), "", None, "-").into_string();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;&amp;"), "{svg}");
        assert!(svg.contains("&lt;judul&gt;"), "{svg}");
        let svg = garis(
            "t",
            &["d\"1".to_owned()],
            &[Seri {
                nama: "<b>".to_owned(),
                nilai: vec![1.0],
            }],
            "-",
        )
        .into_string();
        assert!(!svg.contains("<b>") && svg.contains("&lt;b&gt;"), "{svg}");
        assert!(svg.contains("d&quot;1"), "{svg}");
    }

    #[test]
    fn a_line_goes_through_every_point_scaled_to_the_largest() {
        let label: Vec<String> = ["1", "2", "3"].map(String::from).to_vec();
        let svg = garis(
            "t",
            &label,
            &[Seri {
                nama: "a".to_owned(),
                nilai: vec![0.0, 10.0, 5.0],
            }],
            "-",
        )
        .into_string();
        let dasar = ATAS + TINGGI_PLOT;
        let at = svg.find("points=\"").unwrap() + 8;
        let pts: Vec<f64> = svg[at..at + svg[at..].find('"').unwrap()]
            .split(' ')
            .map(|p| p.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(pts.len(), 3);
        assert!((pts[0] - dasar).abs() < 0.06, "{pts:?}");
        assert!((pts[1] - ATAS).abs() < 0.06, "{pts:?}");
        assert!(
            (pts[2] - (dasar - TINGGI_PLOT / 2.0)).abs() < 0.06,
            "{pts:?}"
        );
    }
}
