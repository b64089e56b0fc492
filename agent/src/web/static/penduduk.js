// The registration form filled from the office's copy of the population register: a typed
// NIK is looked up (GET /api/penduduk/NIK); a registered resident's data fills the fields (still
// editable, a field changed from the register's value is marked), an unregistered NIK shows the
// KK procedure, a deceased or moved-out resident blocks the submit with the reason.
(function () {
  var nik = document.getElementById('nik');
  var info = document.getElementById('info-register');
  var buat = document.getElementById('buat');
  if (!nik || !info || !buat) return;
  var FIELDS = ['no_kk', 'nama', 'tempat_lahir', 'tanggal_lahir', 'jenis_kelamin',
    'status_perkawinan', 'alamat', 'rt', 'rw', 'nagari', 'kecamatan'];
  function show(text, cls) { info.textContent = text; info.className = cls; info.hidden = !text; }
  function mark(el) {
    var changed = el.dataset.register !== undefined && el.value !== el.dataset.register;
    el.classList.toggle('berubah', changed);
    var note = document.getElementById('ubah-' + el.id);
    if (note) note.hidden = !changed;
  }
  FIELDS.forEach(function (f) {
    var el = document.getElementById(f);
    if (!el) return;
    var note = document.createElement('small');
    note.id = 'ubah-' + f; note.className = 'catatan-ubah'; note.hidden = true;
    el.insertAdjacentElement('afterend', note);
    el.addEventListener('input', function () { mark(el); });
    el.addEventListener('change', function () { mark(el); });
  });
  var last = '';
  function lookup() {
    var v = nik.value.trim();
    if (!/^[0-9]{16}$/.test(v) || v === last) return;
    last = v;
    fetch('/api/penduduk/' + v, { credentials: 'same-origin' }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    }).then(function (a) {
      buat.disabled = false;
      if (a.status === 200) {
        var p = a.body.penduduk;
        FIELDS.forEach(function (f) {
          var el = document.getElementById(f);
          if (!el || p[f] === undefined) return;
          el.value = String(p[f]);
          el.dataset.register = el.value;
          var note = document.getElementById('ubah-' + f);
          if (note) note.textContent = 'diubah; di database kependudukan: ' + el.value;
          mark(el);
        });
        show('Data dari database kependudukan kantor; periksa dengan berkas, ubah bila berbeda.', 'info');
      } else if (a.status === 404) {
        show(a.body.error + '. ' + (a.body.sop || ''), 'galat');
      } else if (a.status === 409) {
        buat.disabled = true;
        show(a.body.error + '. ' + (a.body.sop || ''), 'galat');
      } else {
        show(a.body.error || 'Pencarian NIK gagal', 'galat');
      }
    }).catch(function () {});
  }
  nik.addEventListener('change', lookup);
  nik.addEventListener('blur', lookup);
})();
