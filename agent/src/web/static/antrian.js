// The waiting-room display: polls /api/antrian every 2 s and shows the last call.
function muat() {
  fetch('/api/antrian').then(function (r) { return r.json(); }).then(function (a) {
    var d = a.dipanggil[0];
    document.getElementById('nomor').textContent = d ? d.nomor_teks : '---';
    document.getElementById('loket').textContent = d ? ('Loket ' + d.loket) : '';
    document.getElementById('riwayat').textContent = a.dipanggil.slice(1).map(function (x) {
      return x.nomor_teks + ' (loket ' + x.loket + ')';
    }).join('   ');
    document.getElementById('menunggu').textContent = a.menunggu.length;
  }).catch(function () {});
}
muat();
setInterval(muat, 2000);
