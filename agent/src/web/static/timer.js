// The running step timer of the application page; past the SOP's standard time it turns red
// and shows the late-reason fields.
(function () {
  var el = document.getElementById('timer');
  if (!el) return;
  var s = +el.dataset.detik, b = +el.dataset.batas * 60;
  function f() {
    var m = Math.floor(s / 60), d = s % 60;
    el.textContent = m + ':' + (d < 10 ? '0' : '') + d;
    if (s > b) {
      el.className = 'terlambat';
      document.querySelectorAll('.alasan-terlambat').forEach(function (x) {
        x.removeAttribute('data-sembunyi'); x.style.display = '';
      });
    }
    s++;
  }
  document.querySelectorAll('.alasan-terlambat[data-sembunyi]').forEach(function (x) {
    x.style.display = 'none';
  });
  f();
  setInterval(f, 1000);
})();
