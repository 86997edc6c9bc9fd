/* Privet cookie banner: one tag, no framework, no third parties. See README, "Cookie consent". */
((w, d) => {
  "use strict";
  var me = d.currentScript, BANNER = "2";
  if (!me || (w.privet && w.privet.consent)) return;
  var site = me.getAttribute("data-privet-site") || "";
  var api = me.getAttribute("data-privet-api") || new URL("/api/consent/", me.src).href;
  var lang = (me.getAttribute("data-privet-lang") || d.documentElement.lang || "en").slice(0, 2).toLowerCase();
  var dl = (w.dataLayer = w.dataLayer || []);
  var gpc = navigator.globalPrivacyControl === true, saved = read(), on = [], seq = 0, cfg, host, root, box, modal, opener;

  function gtag() { dl.push(arguments); }
  function signals(purposes, out) {
    ["ad_storage", "analytics_storage", "ad_user_data", "ad_personalization"].forEach(s => { out[s] = "denied"; });
    purposes.forEach(p => { p.signals.forEach(s => { out[s] = "granted"; }); });
    return out;
  }
  // now: before any Google tag after this one
  gtag("consent", "default", signals([], { wait_for_update: 500 }));

  function read() {
    var m = d.cookie.match(/(?:^|;\s*)privet_consent=([0-9a-f]{32})\.([0-9a-f]*)\.([a-z0-9_-]*)/);
    return m && { id: m[1], v: m[2], g: m[3] ? m[3].split("-") : [] };
  }
  function write(id, g) {
    d.cookie = "privet_consent=" + id + "." + cfg.v + "." + g.join("-") + ";Max-Age=31536000;Path=/;SameSite=Lax" +
      (location.protocol == "https:" ? ";Secure" : "");
  }
  function drop(name) {
    var base = name.replace(/\*$/, ""), prefix = base != name;
    d.cookie.split(/;\s*/).forEach(c => {
      var n = c.split("=")[0], h = location.hostname.split("."), gone = n + "=;Max-Age=0;Path=/";
      if (n != base && !(prefix && n.indexOf(base) == 0)) return;
      d.cookie = gone;
      for (; h.length > 1; h.shift()) d.cookie = gone + ";Domain=." + h.join(".");
    });
  }
  function rid() {
    return [].map.call(crypto.getRandomValues(new Uint8Array(16)), b => (b | 256).toString(16).slice(1)).join("");
  }
  function esc(s) { return String(s).replace(/[&<>"']/g, c => { return "&#" + c.charCodeAt(0) + ";"; }); }
  function optional() { return cfg.purposes.filter(p => !p.required); }
  function allowed(p) { return !(gpc && p.gpc); }
  function q(s) { return root.querySelector(s); }
  function ready(f) { d.readyState == "loading" ? d.addEventListener("DOMContentLoaded", f) : f(); }

  function load(opening) {
    fetch(api + "config?site=" + encodeURIComponent(site) + "&lang=" + lang, { credentials: "omit" })
      .then(r => { if (!r.ok) throw r; return r.json(); })
      .then(c => { ready(() => { if (!cfg) start(c); if (opening) open(); }); },
        () => { /* no server: nothing optional runs */ });
  }
  load();

  function start(c) {
    cfg = c;
    gpc = gpc || c.gpc;
    if (saved && saved.v == c.v) return apply(saved.g);
    optional().forEach(p => { p.cookies.forEach(drop); });
    show(false);
  }

  function apply(ids) {
    var granted = cfg.purposes.filter(p => p.required || (ids.indexOf(p.id) >= 0 && allowed(p)));
    on = granted.map(p => p.id);
    gtag("consent", "update", signals(granted, {}));
    d.querySelectorAll("[data-privet-purpose]").forEach(el => {
      if (el.getAttribute("data-privet-purpose").split(/\s+/).some(p => on.indexOf(p) < 0)) return;
      el.removeAttribute("data-privet-purpose");
      if (el.tagName == "SCRIPT") {
        var s = d.createElement("script");
        [].forEach.call(el.attributes, a => { if (a.name != "type") s.setAttribute(a.name, a.value); });
        if (el.hasAttribute("data-privet-type")) s.type = el.getAttribute("data-privet-type");
        s.async = el.hasAttribute("async");  // else in document order
        s.nonce = el.nonce;  // hidden from getAttribute
        s.text = el.text;
        el.replaceWith(s);
      } else if (el.hasAttribute("data-privet-src")) el.src = el.getAttribute("data-privet-src");
    });
    cfg.purposes.forEach(p => { if (on.indexOf(p.id) < 0) p.cookies.forEach(drop); });
    d.dispatchEvent(new CustomEvent("privet:consent", { detail: on.slice() }));
  }

  // only once receipted: unprovable consent is no consent
  function choose(method, ids) {
    var id = saved ? saved.id : rid(), n = ++seq, choices = {}, g = [];
    optional().forEach(p => {
      choices[p.id] = ids.indexOf(p.id) >= 0 && allowed(p);
      if (choices[p.id]) g.push(p.id);
    });
    say("");
    fetch(api + "receipts", {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ site: site, visitor: id, choices: choices, policy: cfg.policy, method: method, gpc: gpc, banner: BANNER, lang: cfg.lang })
    }).then(r => r.ok, () => {}).then(ok => {
      if (n != seq) return;  // a later choice decides
      if (ok) hide(true);
      else {
        if (box.hidden) show(false);  // reopen to say so
        say(cfg.text.error);
        // unreceipted, a withdrawal still holds: stopping needs no proof
        if (!saved || saved.v != cfg.v) return;
        g = g.filter(p => saved.g.indexOf(p) >= 0);
      }
      saved = { id: id, v: cfg.v, g: g };
      write(id, g);
      apply(g);
    });
  }

  function say(text) { var e = q(".err"); e.hidden = !(e.textContent = text); }

  function build() {
    var t = cfg.text, first = d.body.firstElementChild;
    host = d.createElement("div");
    host.id = "privet-consent";
    host.hidden = true;  // until its stylesheet is in
    root = host.attachShadow({ mode: "open" });
    root.innerHTML = '<link rel="stylesheet" href="' + esc(cfg.css) + '"><div class="bk" data-a="close" hidden></div>' +
      '<section class="box" role="dialog" aria-modal="false" aria-labelledby="t" aria-describedby="d" tabindex="-1" lang="' + esc(cfg.lang) + '" hidden>' +
      '<button type="button" class="x" data-a="close" aria-label="' + esc(t.close) + '" hidden>\u00d7</button>' +
      '<h2 id="t">' + esc(t.title) + '</h2><p id="d">' + esc(t.intro) + ' <a href="' + esc(cfg.policy_url) + '">' + esc(t.policy) + "</a></p>" +
      (gpc && t.gpc ? '<p class="gpc">' + esc(t.gpc) + "</p>" : "") +
      '<fieldset class="ps" hidden><legend>' + esc(t.purposes) + "</legend>" + cfg.purposes.map(p => {
        var id = "p-" + esc(p.id), fixed = p.required || !allowed(p);
        return '<div class="p"><input type="checkbox" id="' + id + '" value="' + esc(p.id) + '" aria-describedby="' + id + 'd"' +
          (fixed ? " disabled" : "") + (p.required ? " checked" : "") + '><label for="' + id + '">' + esc(p.label) +
          (fixed ? ' <span class="on">' + esc(p.required ? t.always : t.gpc_off) + "</span>" : "") +
          '</label><p id="' + id + 'd">' + esc(p.description) + "</p></div>";
      }).join("") + '</fieldset><p class="err" role="alert" hidden></p><div class="bt">' +
      '<button type="button" data-a="reject">' + esc(t.reject) + '</button><button type="button" data-a="accept">' + esc(t.accept) +
      '</button><button type="button" class="s" data-a="settings">' + esc(t.settings) +
      '</button><button type="button" class="s" data-a="save" hidden>' + esc(t.save) + "</button></div></section>";
    box = q(".box");
    q("link").onload = q("link").onerror = () => { host.hidden = false; if (modal) box.focus(); };
    root.addEventListener("click", e => {
      var a = e.target.closest("[data-a]");
      a = a && a.getAttribute("data-a");
      if (a == "accept") choose("accept_all", optional().map(p => p.id));
      else if (a == "reject") choose("reject_all", []);
      else if (a == "save") choose("custom", [].map.call(root.querySelectorAll("input:checked"), i => i.value));
      else if (a == "settings") mode(true);
      else if (a) hide();
    });
    root.addEventListener("keydown", keys);
    // early in the tab order, though shown at the bottom
    if (first && first.matches('a[href^="#"]')) first.after(host); else d.body.prepend(host);
  }

  function show(settings) {
    if (!root) build();
    box.hidden = false;
    say("");
    mode(settings);
  }

  function mode(m) {
    modal = m;
    box.setAttribute("aria-modal", m);
    box.classList.toggle("m", m);
    q(".bk").hidden = q(".ps").hidden = q(".x").hidden = q("[data-a=save]").hidden = !m;
    q("[data-a=settings]").hidden = m;
    if (!m) return;
    root.querySelectorAll("input:not([disabled])").forEach(i => { i.checked = on.indexOf(i.value) >= 0; });
    box.focus();
  }

  function hide(chosen) {
    var back = opener || (chosen && d.querySelector("[data-privet-consent-open]"));
    opener = null;
    if (!chosen && !saved && modal) return mode(false), box.focus();  // no choice yet: back to the notice
    box.hidden = q(".bk").hidden = true;
    modal = false;
    back && back.focus({ preventScroll: true });
    if (root.activeElement) root.activeElement.blur();
  }

  function keys(e) {
    if (!modal) return;
    if (e.key == "Escape") return hide();
    if (e.key != "Tab") return;
    var f = [].filter.call(box.querySelectorAll("button,input,a[href]"), el => !el.disabled && el.getClientRects().length);
    var cur = root.activeElement, end = e.shiftKey ? f[0] : f[f.length - 1];
    if (cur == end || (e.shiftKey && cur == box)) {
      (e.shiftKey ? f[f.length - 1] : f[0]).focus();
      e.preventDefault();
    }
  }

  function open() {
    if (!cfg) return load(1);  // retry
    if (d.activeElement != host) opener = d.activeElement;
    show(true);
  }
  d.addEventListener("click", e => {
    if (e.target.closest && e.target.closest("[data-privet-consent-open]")) { e.preventDefault(); open(); }
  });
  w.privet = w.privet || {};
  w.privet.consent = { open: open, granted: p => on.indexOf(p) >= 0 };
})(window, document);
