// Small helpers for the admin pages: line numbers in the flow editor, jumping to an
// error's line, and the "try it" chat of a draft flow. Pages work without it.
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
  const ta = document.getElementById('yaml');
  const gutter = document.querySelector('.editor .gutter');
  function numbers() {
    if (!ta || !gutter) return;
    const n = ta.value.split('\n').length;
    let s = ''; for (let i = 1; i <= n; i++) s += i + '\n';
    gutter.textContent = s; gutter.scrollTop = ta.scrollTop;
  }
  if (ta) { ta.addEventListener('input', numbers); ta.addEventListener('scroll', () => { gutter.scrollTop = ta.scrollTop; }); numbers(); }
  document.querySelectorAll('[data-line]').forEach(a => a.addEventListener('click', e => {
    e.preventDefault(); if (!ta) return;
    const line = +a.dataset.line; const lines = ta.value.split('\n');
    const start = lines.slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0);
    ta.focus(); ta.setSelectionRange(start, start + (lines[line - 1] || '').length);
    ta.scrollTop = Math.max(0, (line - 5) * parseFloat(getComputedStyle(ta).lineHeight || 18));
  }));
  const box = document.getElementById('try');
  if (!box) return;
  const log = document.getElementById('try-log');
  function bubble(cls, text) { const d = document.createElement('div'); d.className = 'msg ' + cls; d.textContent = text; log.appendChild(d); log.scrollTop = log.scrollHeight; return d; }
  async function send(body, shown) {
    if (shown) bubble('me', shown);
    body.yaml = ta ? ta.value : '';
    const res = await fetch(box.dataset.url, { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, 'Accept': 'application/json' }, body: JSON.stringify(body) });
    const data = await res.json();
    if (data.errors) { bubble('bot error', data.errors.join('\n')); return; }
    if (data.error) { bubble('bot error', data.error); return; }
    for (const r of data.replies) {
      const d = bubble('bot', r.text || '');
      const choices = (r.buttons || []).concat(r.options || []);
      if (choices.length) {
        const row = document.createElement('div'); row.className = 'buttons';
        for (const b of choices) { const btn = document.createElement('button'); btn.type = 'button'; btn.textContent = b.title; btn.onclick = () => send({ button: b.payload }, b.title); row.appendChild(btn); }
        d.appendChild(row);
      }
    }
  }
  document.getElementById('try-form').addEventListener('submit', e => { e.preventDefault(); const i = document.getElementById('try-text'); const v = i.value.trim(); if (!v) return; i.value = ''; send({ text: v }, v); });
  document.getElementById('try-restart').addEventListener('click', () => { log.textContent = ''; send({ restart: true }); });
})();
// A follow-up button's target chosen from the list fills in empty titles with its name.
document.querySelectorAll('select.target').forEach(sel => sel.addEventListener('change', () => {
  const o = sel.selectedOptions[0]; const row = sel.closest('.row3'); if (!o || !row) return;
  for (const [lang, key] of [['id', 'titleId'], ['en', 'titleEn']]) {
    const input = row.querySelector(`input[name$="_${lang}"]`);
    if (input && !input.value && o.dataset[key]) input.value = o.dataset[key];
  }
}));
