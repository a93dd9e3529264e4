/** Small HTML building blocks for the provenance view: escaping, tables, number and time formats. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values alike. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A table cell is either plain text (escaped here) or HTML already built from escaped parts. */
export type Cell = string | number | null | { html: string };

function cell(value: Cell): string {
  if (value === null) return '<td class="none">—</td>';
  if (typeof value === 'object') return `<td>${value.html}</td>`;
  return typeof value === 'number' ? `<td class="num">${esc(value)}</td>` : `<td>${esc(value)}</td>`;
}

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], empty = 'none'): string {
  if (rows.length === 0) return `<p class="none">${esc(empty)}</p>`;
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Key/value rows, for parameter blocks. */
export function pairs(entries: readonly (readonly [string, Cell])[]): string {
  return table(['parameter', 'value'], entries.map(([k, v]) => [k, v]));
}

export function metric(value: number | undefined): string | null {
  return value === undefined || !Number.isFinite(value) ? null : value.toFixed(4);
}

export function iso(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** The first 12 hex characters, the full hash on hover. */
export function shortHash(hash: string): { html: string } {
  return { html: `<code title="${esc(hash)}">${esc(hash.slice(0, 12))}…</code>` };
}

export function code(text: string): { html: string } {
  return { html: `<code>${esc(text)}</code>` };
}

export const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d232a;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.4rem;margin-bottom:.2rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}td.none,p.none{color:#6a737d}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.ok{color:#116329;font-weight:600}.bad{color:#a40e26;font-weight:600}.note{color:#57606a;font-size:.9em}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
`;
