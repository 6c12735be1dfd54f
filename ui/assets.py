"""The chat's stylesheet and the small script that wires citation markers to the Sources panel."""

from __future__ import annotations

# Runs once as the Sources panel's ``js_on_load``. One capturing listener on the document catches clicks
# on any ``a.cite`` (the chat sanitiser keeps class + href, so the target is in the fragment
# "#src-<turn>-<n>"), shows that turn's sources, opens passage n and scrolls it into view.
CITE_JS = r"""
if (!window.citeqaSelect) {
  window.citeqaSelect = function (turn, n) {
    const panel = document.getElementById('citeqa-sources');
    if (!panel) return false;
    panel.querySelectorAll('.citeqa-turn').forEach(function (s) {
      s.classList.toggle('active', s.id === 'turn-' + turn);
    });
    panel.querySelectorAll('.src.selected').forEach(function (s) { s.classList.remove('selected'); });
    const item = document.getElementById('src-' + turn + '-' + n);
    if (!item) return false;
    item.open = true;
    item.classList.add('selected');
    item.scrollIntoView({block: 'nearest'});
    return true;
  };
  document.addEventListener('click', function (event) {
    const link = event.target && event.target.closest ? event.target.closest('a.cite') : null;
    if (!link) return;
    const m = /#src-(\d+)-(\d+)$/.exec(link.getAttribute('href') || '');
    if (!m) return;
    event.preventDefault();
    event.stopPropagation();
    window.citeqaSelect(m[1], m[2]);
  }, true);
}
"""

CSS = r"""
#citeqa-status .citeqa-status { font-size: 0.9em; padding: 6px 10px; border-radius: 6px;
  background: var(--block-background-fill); border: 1px solid var(--border-color-primary); }
#citeqa-status .notice { color: var(--body-text-color-subdued); margin-top: 2px; }
.citeqa-unavailable { color: #b91c1c; font-weight: 600; }
#citeqa-sources .notice { font-size: 0.85em; color: #b91c1c; margin-bottom: 6px; }
.citeqa-answer a.cite, .citeqa-answer a.cite:visited { display: inline-block; padding: 0 3px; margin: 0 1px;
  border-radius: 4px; font-size: 0.85em; text-decoration: none; cursor: pointer;
  background: var(--color-accent-soft); color: var(--color-accent); font-weight: 600; }
.citeqa-answer a.cite:hover { background: var(--color-accent); color: white; }
.citeqa-answer .cite-pending, .citeqa-answer .cite-missing { font-size: 0.85em; color: var(--body-text-color-subdued); }
.citeqa-answer.refusal { border-left: 3px solid #d97706; padding-left: 8px; }
.citeqa-answer.caveated { border-left: 3px dashed #d97706; padding-left: 8px; }
.citeqa-answer.refusal .hint, .citeqa-answer .hint { font-size: 0.85em; color: var(--body-text-color-subdued); margin-top: 4px; }
.citeqa-answer.error { border-left: 3px solid #dc2626; padding-left: 8px; }
#citeqa-sources { max-height: 720px; overflow-y: auto; }
#citeqa-sources .citeqa-turn { display: none; }
#citeqa-sources .citeqa-turn.active { display: block; }
#citeqa-sources .turn-head { font-weight: 600; margin: 2px 0 2px; }
#citeqa-sources .turn-no { color: var(--body-text-color-subdued); }
#citeqa-sources .turn-kind { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 6px; }
#citeqa-sources details.src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px 10px;
  margin-bottom: 8px; background: var(--block-background-fill); }
#citeqa-sources details.src.selected { border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft); }
#citeqa-sources details.src > summary { cursor: pointer; line-height: 1.5; }
#citeqa-sources .n { color: var(--color-accent); font-weight: 700; }
#citeqa-sources .title { font-weight: 600; }
#citeqa-sources .meta { display: block; font-size: 0.82em; color: var(--body-text-color-subdued); }
#citeqa-sources .meta > span + span::before { content: " · "; }
#citeqa-sources .para { margin: 8px 0 4px; line-height: 1.7; }
#citeqa-sources mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
#citeqa-sources details.doc-view { margin-top: 6px; font-size: 0.92em; }
#citeqa-sources details.doc-view > summary { cursor: pointer; color: var(--color-accent); }
#citeqa-sources .doc-name { font-size: 0.8em; color: var(--body-text-color-subdued); margin: 4px 0; }
#citeqa-sources .ctx { padding: 4px 6px; color: var(--body-text-color-subdued); line-height: 1.6; }
#citeqa-sources .ctx.cited { color: var(--body-text-color); border-left: 3px solid var(--color-accent); }
#citeqa-sources .ctx .loc { font-size: 0.8em; font-weight: 600; margin-right: 4px; }
#citeqa-sources .cite-ref { font-weight: 700; margin-right: 6px; }
#citeqa-sources .title { display: block; }
#citeqa-sources a.deep-link { display: inline-block; font-size: 0.8em; margin: 2px 0 4px; color: var(--color-accent); }
#citeqa-sources .linked { border: 1px solid var(--color-accent); border-radius: 8px; padding: 6px 10px; }
#citeqa-sources .linked .ctx.cited mark { background: #fde68a; }
.icon-warn { display: inline-block; width: 1.2em; height: 1.2em; line-height: 1.2em; border-radius: 50%;
  background: #b91c1c; color: white; text-align: center; font-weight: 700; font-size: 0.85em; margin-right: 4px; }
.citeqa-sources-empty { color: var(--body-text-color-subdued); padding: 12px 4px; }
"""
