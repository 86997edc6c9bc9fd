// After a refused submit the page comes back with an error summary (#form-alert, tabindex=-1):
// move focus to it, so that keyboard and screen reader users start from what went wrong and
// its links lead to each field. Loaded only on such a page; a static file, as the CSP requires.
const summary = document.getElementById("form-alert");
if (summary) {
  summary.focus();
}
