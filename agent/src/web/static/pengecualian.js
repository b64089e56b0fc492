// The exception form of the recording page: the free-text note is required for "lainnya".
(function () {
  var sel = document.getElementById('pengecualian-alasan');
  var note = document.getElementById('pengecualian-catatan');
  if (!sel || !note) return;
  function f() { note.required = sel.value === 'lainnya'; }
  sel.addEventListener('change', f);
  f();
})();
