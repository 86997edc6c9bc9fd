// Hands the ALTCHA widget its texts in the page's language (from Django's catalogue, rendered
// by json_script into #altcha-strings). Runs after the widget module, which defines $altcha.
const data = document.getElementById("altcha-strings");
if (data && globalThis.$altcha) {
  globalThis.$altcha.i18n.set(document.documentElement.lang || "en", JSON.parse(data.textContent));
}
