// The devices' status line on the desks, filled from /api/perangkat (a slow or absent device
// never delays the page).
fetch('/api/perangkat').then(function (r) { return r.json(); }).then(function (v) {
  var el = document.getElementById('perangkat');
  if (!el) return;
  if (Array.isArray(v)) {
    el.textContent = 'Perangkat: ' + v.map(function (d) {
      return d.model + ' (' + (d.status === 'ready' ? 'siap' : 'tidak siap') + ')';
    }).join(', ');
  } else {
    el.textContent = v.error || 'Perangkat: tidak diketahui';
    el.className = 'galat';
  }
}).catch(function () {});
