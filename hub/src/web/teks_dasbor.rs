//! The strings of the statistics pages (overview, time standards, offices, deduplication,
//! targets) in each language: [`TeksDasbor::ID`], [`TeksDasbor::EN`], reached from the page's
//! [`super::tampilan::Teks`] as `t.dasbor`.

/// The statistics pages' strings in one language.
#[derive(Debug)]
pub struct TeksDasbor {
    /// Late reasons given.
    pub alasan_terlambat: &'static str,
    /// No data.
    pub belum_ada_data: &'static str,
    /// No target.
    pub belum_ada_target: &'static str,
    /// Range: this month.
    pub bulan_ini: &'static str,
    /// Column: coverage.
    pub cakupan: &'static str,
    /// Field: from.
    pub dari: &'static str,
    /// Column: recordings with an exception.
    pub dengan_pengecualian: &'static str,
    /// Column: minutes silent.
    pub diam_menit: &'static str,
    /// Column: documents at the hub.
    pub dokumen_hub: &'static str,
    /// Column: failed recordings.
    pub gagal_rekam: &'static str,
    /// Chart: coverage per kecamatan.
    pub grafik_cakupan: &'static str,
    /// Chart: trend per day.
    pub grafik_tren: &'static str,
    /// Range: today.
    pub hari_ini: &'static str,
    /// Column: count.
    pub jumlah: &'static str,
    /// Row: district total.
    pub kabupaten: &'static str,
    /// Note: silent offices.
    pub kantor_diam_catatan: &'static str,
    /// Note: fields not stored.
    pub kantor_tidak_disimpan: &'static str,
    /// Column: returned, not eligible.
    pub kembali_belum_syarat: &'static str,
    /// Column: returned, other reasons.
    pub kembali_lainnya: &'static str,
    /// Column: returned, already recorded.
    pub kembali_sudah_rekam: &'static str,
    /// Column: returned, documents incomplete.
    pub kembali_tidak_lengkap: &'static str,
    /// Column: kecamatan code.
    pub kode: &'static str,
    /// Column: last contact.
    pub kontak_terakhir: &'static str,
    /// Hint: empty nagari.
    pub kosong_seluruh: &'static str,
    /// Column: mean capture quality.
    pub kualitas_rata: &'static str,
    /// Column: low-quality modalities.
    pub kualitas_rendah: &'static str,
    /// Column: SOP step.
    pub langkah: &'static str,
    /// Unit: minutes.
    pub menit: &'static str,
    /// Menu: deduplication.
    pub menu_dedup: &'static str,
    /// Menu: overview.
    pub menu_ikhtisar: &'static str,
    /// Menu: offices.
    pub menu_kantor: &'static str,
    /// Menu: targets.
    pub menu_target: &'static str,
    /// Menu: SOP time standards.
    pub menu_waktu: &'static str,
    /// Column: awaiting dedup.
    pub menunggu_dedup: &'static str,
    /// Column: waiting at the office.
    pub menunggu_kirim: &'static str,
    /// Column: oldest waiting since.
    pub menunggu_sejak: &'static str,
    /// Range: this week.
    pub minggu_ini: &'static str,
    /// Column: operator.
    pub operator: &'static str,
    /// Column: excepted modalities.
    pub pengecualian: &'static str,
    /// Heading: per office.
    pub per_kantor: &'static str,
    /// Heading: per kecamatan.
    pub per_kecamatan: &'static str,
    /// Heading: per step.
    pub per_langkah: &'static str,
    /// Heading: per operator.
    pub per_operator: &'static str,
    /// Column: rating.
    pub peringkat: &'static str,
    /// Column: awaiting an adjudicator.
    pub perlu_adjudikasi: &'static str,
    /// Column: sync requests.
    pub permintaan_sync: &'static str,
    /// Column: applications.
    pub permohonan: &'static str,
    /// Column: duplicate rate.
    pub persen_duplikat: &'static str,
    /// Column: share within the standard.
    pub persen_sesuai: &'static str,
    /// Label: range.
    pub rentang: &'static str,
    /// Field: to.
    pub sampai: &'static str,
    /// Heading: duration distribution.
    pub sebaran_durasi: &'static str,
    /// Column: ended runs.
    pub selesai: &'static str,
    /// Cell: whole kecamatan.
    pub seluruh_kecamatan: &'static str,
    /// Column: certificate serial.
    pub serial_sertifikat: &'static str,
    /// Column: certificate expiry.
    pub sertifikat_berlaku: &'static str,
    /// Column: within the standard.
    pub sesuai_standar: &'static str,
    /// Button: save target.
    pub simpan_target: &'static str,
    /// Column: standard in minutes.
    pub standar_menit: &'static str,
    /// Column: year.
    pub tahun: &'static str,
    /// Button: show.
    pub tampilkan: &'static str,
    /// Column: day.
    pub tanggal: &'static str,
    /// Column: target.
    pub target: &'static str,
    /// Heading: target per kecamatan.
    pub target_per_kecamatan: &'static str,
    /// Column: recorded.
    pub terekam: &'static str,
    /// Column: late runs.
    pub terlambat: &'static str,
    /// Heading: trend.
    pub tren: &'static str,
    /// Column: unique.
    pub unik: &'static str,
    /// Label: district index version.
    pub versi_indeks_hub: &'static str,
    /// Column: index version at the office.
    pub versi_indeks_kantor: &'static str,
    /// Column: software version.
    pub versi_perangkat: &'static str,
    /// Column: wajib KTP-el.
    pub wajib_ktp_el: &'static str,
}

impl TeksDasbor {
    /// Bahasa Indonesia.
    pub const ID: TeksDasbor = TeksDasbor {
        alasan_terlambat: "Alasan keterlambatan",
        belum_ada_data: "Belum ada data pada rentang ini.",
        belum_ada_target: "Belum ada target wajib KTP-el untuk tahun ini.",
        bulan_ini: "Bulan ini",
        cakupan: "Cakupan (%)",
        dari: "Dari",
        dengan_pengecualian: "Rekaman dengan pengecualian",
        diam_menit: "Diam (menit)",
        dokumen_hub: "Dokumen di hub",
        gagal_rekam: "Perekaman gagal",
        grafik_cakupan: "Cakupan terhadap target per kecamatan (%)",
        grafik_tren: "Tren harian: permohonan dan perekaman",
        hari_ini: "Hari ini",
        jumlah: "Jumlah",
        kabupaten: "Kabupaten (jumlah)",
        kantor_diam_catatan: "Baris yang disorot: kantor yang belum pernah menghubungi hub, atau diam lebih dari",
        kantor_tidak_disimpan: "Kolom bertanda — belum dicatat oleh hub (dokumen dan byte yang masih menunggu di kantor, versi perangkat lunak, masa berlaku sertifikat, versi indeks di kantor).",
        kembali_belum_syarat: "Dikembalikan: belum memenuhi syarat",
        kembali_lainnya: "Dikembalikan: alasan lain",
        kembali_sudah_rekam: "Dikembalikan: sudah rekam",
        kembali_tidak_lengkap: "Dikembalikan: berkas tidak lengkap",
        kode: "Kode kecamatan",
        kontak_terakhir: "Kontak terakhir",
        kosong_seluruh: "kosongkan untuk seluruh kecamatan",
        kualitas_rata: "Kualitas rata-rata",
        kualitas_rendah: "Modalitas kualitas rendah",
        langkah: "Langkah",
        menit: "menit",
        menu_dedup: "Deduplikasi",
        menu_ikhtisar: "Ikhtisar",
        menu_kantor: "Kantor kecamatan",
        menu_target: "Target wajib KTP-el",
        menu_waktu: "Standar waktu SOP",
        menunggu_dedup: "Menunggu dedup",
        menunggu_kirim: "Dokumen/byte menunggu di kantor",
        menunggu_sejak: "Menunggu sejak",
        minggu_ini: "Minggu ini",
        operator: "Operator",
        pengecualian: "Modalitas dikecualikan",
        per_kantor: "Per kantor kecamatan",
        per_kecamatan: "Per kecamatan",
        per_langkah: "Per langkah (kabupaten)",
        per_operator: "Per operator",
        peringkat: "Peringkat",
        perlu_adjudikasi: "Perlu adjudikasi",
        permintaan_sync: "Permintaan sinkronisasi",
        permohonan: "Permohonan",
        persen_duplikat: "Duplikat (%)",
        persen_sesuai: "Sesuai standar (%)",
        rentang: "Rentang",
        sampai: "Sampai",
        sebaran_durasi: "Sebaran durasi",
        selesai: "Selesai",
        seluruh_kecamatan: "(seluruh kecamatan)",
        serial_sertifikat: "Serial sertifikat",
        sertifikat_berlaku: "Sertifikat berlaku sampai",
        sesuai_standar: "Sesuai standar",
        simpan_target: "Simpan target",
        standar_menit: "Standar (menit)",
        tahun: "Tahun",
        tampilkan: "Tampilkan",
        tanggal: "Tanggal",
        target: "Target wajib KTP-el",
        target_per_kecamatan: "Target per kecamatan per tahun",
        terekam: "Terekam",
        terlambat: "Terlambat",
        tren: "Tren harian",
        unik: "Unik",
        versi_indeks_hub: "Versi indeks kabupaten di hub",
        versi_indeks_kantor: "Versi indeks di kantor",
        versi_perangkat: "Versi perangkat lunak",
        wajib_ktp_el: "Wajib KTP-el",
    };

    /// English.
    pub const EN: TeksDasbor = TeksDasbor {
        alasan_terlambat: "Late reasons",
        belum_ada_data: "No data in this range.",
        belum_ada_target: "No wajib KTP-el target for this year yet.",
        bulan_ini: "This month",
        cakupan: "Coverage (%)",
        dari: "From",
        dengan_pengecualian: "Recordings with an exception",
        diam_menit: "Silent (minutes)",
        dokumen_hub: "Documents at the hub",
        gagal_rekam: "Failed recordings",
        grafik_cakupan: "Coverage against target per kecamatan (%)",
        grafik_tren: "Daily trend: applications and recordings",
        hari_ini: "Today",
        jumlah: "Count",
        kabupaten: "District (total)",
        kantor_diam_catatan: "Highlighted rows: offices that never contacted the hub, or silent for more than",
        kantor_tidak_disimpan: "Columns showing — are not recorded by the hub yet (documents and bytes still waiting at the office, software version, certificate expiry, index version at the office).",
        kembali_belum_syarat: "Returned: not eligible",
        kembali_lainnya: "Returned: other reasons",
        kembali_sudah_rekam: "Returned: already recorded",
        kembali_tidak_lengkap: "Returned: documents incomplete",
        kode: "Kecamatan code",
        kontak_terakhir: "Last contact",
        kosong_seluruh: "leave empty for the whole kecamatan",
        kualitas_rata: "Mean quality",
        kualitas_rendah: "Low-quality modalities",
        langkah: "Step",
        menit: "minutes",
        menu_dedup: "Deduplication",
        menu_ikhtisar: "Overview",
        menu_kantor: "Offices",
        menu_target: "Wajib KTP-el targets",
        menu_waktu: "SOP time standards",
        menunggu_dedup: "Awaiting dedup",
        menunggu_kirim: "Documents/bytes waiting at the office",
        menunggu_sejak: "Waiting since",
        minggu_ini: "This week",
        operator: "Operator",
        pengecualian: "Excepted modalities",
        per_kantor: "Per office",
        per_kecamatan: "Per kecamatan",
        per_langkah: "Per step (district)",
        per_operator: "Per operator",
        peringkat: "Rating",
        perlu_adjudikasi: "Awaiting adjudication",
        permintaan_sync: "Sync requests",
        permohonan: "Applications",
        persen_duplikat: "Duplicates (%)",
        persen_sesuai: "Within standard (%)",
        rentang: "Range",
        sampai: "To",
        sebaran_durasi: "Distribution of durations",
        selesai: "Ended",
        seluruh_kecamatan: "(whole kecamatan)",
        serial_sertifikat: "Certificate serial",
        sertifikat_berlaku: "Certificate valid until",
        sesuai_standar: "Within standard",
        simpan_target: "Save target",
        standar_menit: "Standard (minutes)",
        tahun: "Year",
        tampilkan: "Show",
        tanggal: "Day",
        target: "Wajib KTP-el target",
        target_per_kecamatan: "Target per kecamatan per year",
        terekam: "Recorded",
        terlambat: "Late",
        tren: "Daily trend",
        unik: "Unique",
        versi_indeks_hub: "District index version at the hub",
        versi_indeks_kantor: "Index version at the office",
        versi_perangkat: "Software version",
        wajib_ktp_el: "Wajib KTP-el",
    };
}
