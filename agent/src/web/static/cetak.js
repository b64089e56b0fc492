// Print buttons (class "tombol-cetak"): the CSP forbids inline onclick handlers.
document.querySelectorAll('.tombol-cetak').forEach(function (b) {
  b.addEventListener('click', function () { window.print(); });
});
