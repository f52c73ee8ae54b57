/* PLUT Front Desk web chat. Embed on any page:
 *   <script src="https://<front desk>/widget.js" data-center="plut-sleman" async></script>
 * Attributes: data-center (a center's code: handoff requests go to its consultants),
 * data-mode="page" (fill the page, as the try-it page does; default: a chat button in the
 * corner), data-lang="id"|"en" (default: the browser's language).
 * Plain JavaScript, no build step; drawn inside a shadow root so the host page's styles
 * neither leak in nor out. The protocol is described in docs/channels.md. */
(function () {
  'use strict';
  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]'); return all[all.length - 1];
  })();
  var base = new URL('.', script.src).href;
  var center = script.getAttribute('data-center') || '';
  var mode = script.getAttribute('data-mode') === 'page' ? 'page' : 'bubble';
  var langs = [script.getAttribute('data-lang') || ''].concat(navigator.languages || [navigator.language || '']);
  var lang = 'id';
  for (var i = 0; i < langs.length; i++) {
    var code = (langs[i] || '').slice(0, 2).toLowerCase();
    if (code === 'id' || code === 'ms') { lang = 'id'; break; }
    if (code === 'en') { lang = 'en'; break; }
  }
  var T = {
    id: {
      title: 'PLUT-KUMKM Front Desk', subtitle: 'Asisten virtual layanan UMKM', open: 'Chat dengan PLUT',
      close: 'Tutup chat', log: 'Percakapan', input: 'Pesan Anda', placeholder: 'Ketik pesan…', send: 'Kirim',
      location: 'Lokasi', shareLocation: 'Bagikan lokasi saya', phone: 'Bagikan nomor telepon',
      phoneLabel: 'Nomor telepon', sendPhone: 'Kirim nomor', typing: 'Asisten sedang mengetik…', map: 'Buka peta',
      download: 'Unduh', you: 'Anda', offline: 'Koneksi terputus. Mencoba lagi…',
      noLocation: 'Lokasi tidak dapat dibaca. Silakan ketik nama kota atau kabupaten Bapak/Ibu.',
      badPhone: 'Mohon tulis nomor telepon yang benar, misalnya 0812 3456 7890.'
    },
    en: {
      title: 'PLUT-KUMKM Front Desk', subtitle: 'Virtual assistant for small businesses', open: 'Chat with PLUT',
      close: 'Close chat', log: 'Conversation', input: 'Your message', placeholder: 'Type a message…', send: 'Send',
      location: 'Location', shareLocation: 'Share my location', phone: 'Share my phone number',
      phoneLabel: 'Phone number', sendPhone: 'Send number', typing: 'The assistant is typing…', map: 'Open map',
      download: 'Download', you: 'You', offline: 'Connection lost. Trying again…',
      noLocation: 'Your location could not be read. Please type the name of your city or regency.',
      badPhone: 'Please write a valid phone number, for example 0812 3456 7890.'
    }
  }[lang];
  var KEY = 'plut-frontdesk-web-id';

  var CSS = [
    ':host{all:initial}',
    '*{box-sizing:border-box}',
    '.panel{position:fixed;z-index:2147483000;display:flex;flex-direction:column;background:#f2f5f3;color:#1d1d1d;',
    ' font:16px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif,"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji";overflow:hidden}',
    '.page{inset:0}',
    '.bubble{right:16px;bottom:84px;width:380px;height:min(620px,calc(100vh - 110px));border-radius:12px;box-shadow:0 6px 24px #0004}',
    '@media (max-width:480px){.bubble{inset:0;width:auto;height:auto;border-radius:0}}',
    '.hidden{display:none!important}',
    'header{background:#0b6e4f;color:#fff;padding:10px 14px;display:flex;align-items:center;gap:8px}',
    'header div{flex:1;min-width:0}',
    'h2{font-size:17px;margin:0;font-weight:600}',
    'header p{margin:2px 0 0;font-size:13px}',
    '.x{background:transparent;border:1px solid #fff;color:#fff;border-radius:8px;min-width:44px;min-height:44px;font-size:15px;cursor:pointer}',
    '.log{flex:1;overflow-y:auto;overflow-x:hidden;padding:12px;display:flex;flex-direction:column;gap:8px}',
    '.wrap{width:100%;max-width:44rem;margin:0 auto;display:flex;flex-direction:column;gap:8px}',
    '.msg{padding:9px 12px;border-radius:12px;max-width:88%;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}',
    '.me{align-self:flex-end;background:#cdeedd}',
    '.bot{align-self:flex-start;background:#fff;box-shadow:0 1px 2px #0002}',
    '.bot a{color:#0a5c42;text-decoration:underline}',
    '.row{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;white-space:normal}',
    '.row button,.btn{font:inherit;font-size:15px;border:1px solid #0b6e4f;background:#fff;color:#0a5c42;border-radius:18px;',
    ' padding:8px 12px;min-height:40px;cursor:pointer;text-decoration:none!important;display:inline-flex;align-items:center;gap:4px}',
    '.row button:hover,.btn:hover{background:#e3f4ec}',
    '.opt{font-weight:600;margin-top:8px}',
    '.card{border-left:4px solid #0b6e4f}',
    '.card h3{font-size:16px;margin:0 0 2px}',
    '.card p{margin:0;color:#3d3d3d}',
    '.tel{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;align-items:flex-end}',
    '.tel label{display:flex;flex-direction:column;font-size:14px;flex:1 1 10rem;min-width:0}',
    '.tel input{font:inherit;padding:8px;border:1px solid #767676;border-radius:8px;width:100%}',
    '.typing{align-self:flex-start;color:#3d3d3d;font-size:14px;padding:4px 12px}',
    '.typing span{display:inline-block;animation:b 1s infinite}',
    '.typing span:nth-child(2){animation-delay:.2s}.typing span:nth-child(3){animation-delay:.4s}',
    '@keyframes b{50%{opacity:.2}}',
    '@media (prefers-reduced-motion:reduce){.typing span{animation:none}}',
    'form.composer{display:flex;gap:6px;padding:8px max(8px,calc((100% - 44rem) / 2));background:#fff;border-top:1px solid #ccc}',
    'form.composer input{flex:1;min-width:0;font:inherit;padding:10px;border:1px solid #767676;border-radius:8px}',
    'form.composer button{font:inherit;font-size:15px;border-radius:8px;padding:0 12px;min-height:44px;cursor:pointer}',
    '.loc{background:#fff;color:#0a5c42;border:1px solid #0b6e4f}',
    '.send{background:#0b6e4f;color:#fff;border:0}',
    '.launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;background:#0b6e4f;color:#fff;border:0;border-radius:28px;',
    ' padding:0 18px;min-height:56px;font:600 16px system-ui,sans-serif;box-shadow:0 3px 12px #0005;cursor:pointer}',
    'button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #f0a500;outline-offset:2px}',
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '.note{align-self:center;font-size:13px;color:#5a1d00;background:#fff3cd;padding:4px 10px;border-radius:8px}'
  ].join('\n');

  var host = document.createElement('div');
  host.id = 'plut-frontdesk';
  var root = host.attachShadow({mode: 'open'});
  root.innerHTML = '<style>' + CSS + '</style>';

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  var panel = el('section', {'class': 'panel ' + mode, 'aria-label': T.title, lang: lang});
  var header = el('header');
  var hd = el('div');
  hd.appendChild(el('h2', {}, T.title));
  hd.appendChild(el('p', {}, T.subtitle));
  header.appendChild(hd);
  var launcher = null;
  if (mode === 'bubble') {
    var closeBtn = el('button', {type: 'button', 'class': 'x', 'aria-label': T.close}, '✕');
    closeBtn.onclick = function () { panel.classList.add('hidden'); launcher.classList.remove('hidden'); launcher.focus(); };
    header.appendChild(closeBtn);
  }
  var log = el('div', {'class': 'log', role: 'log', 'aria-live': 'polite', 'aria-label': T.log, tabindex: '0'});
  var wrap = el('div', {'class': 'wrap'});
  log.appendChild(wrap);
  var typing = el('div', {'class': 'typing hidden', role: 'status'});
  typing.appendChild(el('span', {'aria-hidden': 'true'}, '●'));
  typing.appendChild(el('span', {'aria-hidden': 'true'}, '●'));
  typing.appendChild(el('span', {'aria-hidden': 'true'}, '●'));
  typing.appendChild(el('span', {'class': 'sr'}, T.typing));
  var form = el('form', {'class': 'composer', autocomplete: 'off'});
  var inputLabel = el('label', {'for': 'fd-text', 'class': 'sr'}, T.input);
  var input = el('input', {id: 'fd-text', name: 'text', type: 'text', placeholder: T.placeholder, maxlength: '4000',
                           enterkeyhint: 'send'});
  var locBtn = el('button', {type: 'button', 'class': 'loc', 'aria-label': T.shareLocation}, T.location);
  var sendBtn = el('button', {type: 'submit', 'class': 'send'}, T.send);
  form.appendChild(inputLabel); form.appendChild(input); form.appendChild(locBtn); form.appendChild(sendBtn);
  panel.appendChild(header); panel.appendChild(log); panel.appendChild(form);
  root.appendChild(panel);
  if (mode === 'bubble') {
    panel.classList.add('hidden');
    launcher = el('button', {type: 'button', 'class': 'launcher', 'aria-haspopup': 'dialog'}, '💬 ' + T.open);
    launcher.onclick = function () { panel.classList.remove('hidden'); launcher.classList.add('hidden'); input.focus(); scrollDown(); };
    root.appendChild(launcher);
  }
  if (mode === 'page') {
    document.documentElement.lang = lang;
    document.title = T.title + ' — ' + (lang === 'en' ? 'try it' : 'coba');
  }

  var webId = null;
  try { webId = localStorage.getItem(KEY); } catch (e) { webId = null; }
  var last = 0;
  var lastBot = null;
  var typingTimer = null;

  function scrollDown() {
    requestAnimationFrame(function () { log.scrollTop = log.scrollHeight; });
  }
  function setTyping(on) {
    typing.classList.toggle('hidden', !on);
    if (on) { wrap.appendChild(typing); clearTimeout(typingTimer); typingTimer = setTimeout(function () { setTyping(false); }, 20000); }
    scrollDown();
  }

  var URL_RE = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]])/g;
  function linkify(target, text) {
    var at = 0;
    text.replace(URL_RE, function (url, _g, idx) {
      if (idx > at) target.appendChild(document.createTextNode(text.slice(at, idx)));
      var a = el('a', {href: url, target: '_blank', rel: 'noopener noreferrer'});
      var u;
      try { u = new URL(url); } catch (e) { u = null; }
      a.textContent = u ? u.hostname.replace(/^www\./, '') + (u.pathname.length > 1 || u.search ? '/…' : '') : url;
      a.title = url;
      target.appendChild(a);
      at = idx + url.length;
      return url;
    });
    if (at < text.length) target.appendChild(document.createTextNode(text.slice(at)));
  }

  function bubble(cls) { var d = el('div', {'class': 'msg ' + cls}); wrap.appendChild(d); return d; }

  function phoneControl(d) {
    var row = el('div', {'class': 'row'});
    var open = el('button', {type: 'button'}, T.phone);
    row.appendChild(open);
    d.appendChild(row);
    open.onclick = function () {
      var f = el('form', {'class': 'tel'});
      var lab = el('label', {}, T.phoneLabel);
      var tel = el('input', {type: 'tel', name: 'phone', autocomplete: 'tel', inputmode: 'tel', maxlength: '20', required: ''});
      lab.appendChild(tel);
      f.appendChild(lab);
      f.appendChild(el('button', {type: 'submit', 'class': 'btn'}, T.sendPhone));
      f.onsubmit = function (e) {
        e.preventDefault();
        var v = tel.value.trim();
        if (!/^\+?[0-9 ()-]{6,20}$/.test(v)) { tel.setCustomValidity(T.badPhone); tel.reportValidity(); return; }
        tel.setCustomValidity('');
        send({contact: {phone: v}, shown: v});
        f.remove();
      };
      tel.oninput = function () { tel.setCustomValidity(''); };
      row.replaceWith(f);
      tel.focus();
      scrollDown();
    };
  }

  function render(m) {
    if (m.n) last = Math.max(last, m.n);
    if (m.echo != null) { var me = bubble('me'); me.textContent = m.echo; lastBot = null; return; }
    setTyping(false);
    if (m.relay) {
      var r = bubble('bot');
      if (m.relay.kind === 'location') {
        var a = el('a', {href: 'https://www.openstreetmap.org/?mlat=' + m.relay.latitude + '&mlon=' + m.relay.longitude,
                         target: '_blank', rel: 'noopener noreferrer', 'class': 'btn'}, T.map);
        r.appendChild(a);
      } else { r.textContent = '📎 ' + (m.relay.filename || m.relay.kind); }
      lastBot = r;
      return;
    }
    var onlyDoc = m.document && !m.text && !m.card && !(m.buttons || []).length;
    var d = onlyDoc && lastBot ? lastBot : bubble('bot');
    if (m.text) linkify(d, m.text);
    if (m.card) {
      d.classList.add('card');
      d.appendChild(el('h3', {}, m.card.title));
      if (m.card.address) d.appendChild(el('p', {}, m.card.address));
      var cr = el('div', {'class': 'row'});
      cr.appendChild(el('a', {href: m.card.map_url, target: '_blank', rel: 'noopener noreferrer', 'class': 'btn'}, T.map));
      d.appendChild(cr);
    }
    if (m.options_title) d.appendChild(el('div', {'class': 'opt'}, m.options_title));
    if ((m.buttons || []).length) {
      var row = el('div', {'class': 'row'});
      m.buttons.forEach(function (b) {
        var btn = el('button', {type: 'button'}, b.title);
        btn.onclick = function () { send({button: b.payload, shown: b.title}); };
        row.appendChild(btn);
      });
      d.appendChild(row);
    }
    if (m.input === 'phone') phoneControl(d);
    if (m.input === 'location') {
      var lr = el('div', {'class': 'row'});
      var lb = el('button', {type: 'button'}, T.shareLocation);
      lb.onclick = shareLocation;
      lr.appendChild(lb); d.appendChild(lr);
    }
    if (m.document) {
      var bin = atob(m.document.content_base64), bytes = new Uint8Array(bin.length);
      for (var j = 0; j < bin.length; j++) bytes[j] = bin.charCodeAt(j);
      var href = URL.createObjectURL(new Blob([bytes], {type: m.document.mime_type}));
      var dr = el('div', {'class': 'row'});
      dr.appendChild(el('a', {href: href, download: m.document.filename, 'class': 'btn'}, '⬇ ' + T.download + ' ' + m.document.filename));
      d.appendChild(dr);
    }
    lastBot = d;
  }

  function note(text) { var n = el('div', {'class': 'note', role: 'status'}, text); wrap.appendChild(n); scrollDown(); return n; }

  function post(path, body) {
    return fetch(base + path, {method: 'POST', headers: {'Content-Type': 'text/plain;charset=UTF-8'}, body: JSON.stringify(body)});
  }

  function session() {
    return post('web/session', {id: webId, lang: lang, center: center}).then(function (r) { return r.json(); }).then(function (d) {
      if (d.id !== webId) { webId = d.id; last = 0; try { localStorage.setItem(KEY, webId); } catch (e) { /* private mode */ } }
    });
  }

  function send(body) {
    body.id = webId;
    body.message_id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).slice(0, 64);
    setTyping(true);
    return post('web/message', body).then(function (r) {
      if (r.status === 401) return session().then(function () { return send(body); });
      if (!r.ok) return r.json().then(function (d) { setTyping(false); note(d.error || String(r.status)); });
    }, function () { setTyping(false); note(T.offline); });
  }

  function shareLocation() {
    if (!navigator.geolocation) { note(T.noLocation); return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      send({location: {latitude: p.coords.latitude, longitude: p.coords.longitude}, shown: T.location});
    }, function () { note(T.noLocation); input.focus(); }, {timeout: 15000});
  }

  function fetchMessages(wait) {
    return fetch(base + 'web/messages?id=' + encodeURIComponent(webId) + '&after=' + last + '&wait=' + wait)
      .then(function (r) {
        if (r.status === 401) return session().then(function () { return []; });
        return r.json().then(function (d) { return d.messages || []; });
      });
  }

  function show(list) {
    list.forEach(render);
    if (list.length) scrollDown();
  }

  function poll() {
    fetchMessages(25).then(function (list) { show(list); poll(); },
      function () { setTimeout(poll, 3000); });
  }

  locBtn.onclick = shareLocation;
  form.onsubmit = function (e) {
    e.preventDefault();
    var v = input.value.trim();
    if (!v) return;
    input.value = '';
    send({text: v});
  };

  function start() {
    document.body.appendChild(host);
    session().then(function () { return fetchMessages(0); }).then(function (list) {
      show(list);
      if (!list.length) send({command: 'start'});
      poll();
    }, function () { note(T.offline); setTimeout(start, 5000); });
  }
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
