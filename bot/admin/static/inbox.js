// The inbox keeps itself current: the server sends the new inbox body over server-sent
// events whenever it changed. What a consultant is typing survives the swap.
(function () {
  const box = document.getElementById('inbox-body');
  const live = document.getElementById('inbox-live');
  if (!box || !window.EventSource) return;
  let version = '';
  function swap(html) {
    const typed = {};
    box.querySelectorAll('textarea[id]').forEach(t => { typed[t.id] = t.value; });
    const focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.id : '';
    const caret = focused && document.activeElement.selectionStart;
    box.innerHTML = html;
    for (const id in typed) { const t = document.getElementById(id); if (t) t.value = typed[id]; }
    if (focused) { const f = document.getElementById(focused); if (f) { f.focus(); if (caret != null && f.setSelectionRange) f.setSelectionRange(caret, caret); } }
  }
  const events = new EventSource(box.dataset.events);
  events.addEventListener('open', () => { live.textContent = live.dataset.live; live.classList.add('on'); });
  events.addEventListener('error', () => { live.textContent = live.dataset.off; live.classList.remove('on'); });
  events.addEventListener('inbox', e => {
    const cut = e.data.indexOf('\n');
    const v = e.data.slice(0, cut);
    if (v === version) return;
    version = v;
    swap(e.data.slice(cut + 1));
    box.dataset.version = v;
  });
})();
