import type { ItemSummary, TenantStatus } from '../status/tenant-status.ts';

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const time = (ms: number | undefined) =>
  ms === undefined ? '' : new Date(ms).toISOString().replace('.000Z', 'Z');

function link(url: string | undefined, text: string): string {
  if (!url || !/^https?:\/\//i.test(url)) return escapeHtml(text);
  return `<a href="${escapeHtml(url)}" rel="noreferrer noopener" target="_blank">${escapeHtml(text)}</a>`;
}

function timeline(item: ItemSummary): string {
  const rows = item.history
    .map(
      (entry) =>
        `<li><time>${time(entry.at)}</time> ${escapeHtml(entry.from ?? '·')} → <b>${escapeHtml(entry.to)}</b> <span class="why">${escapeHtml(entry.reason)}</span> <span class="ev">(${escapeHtml(entry.event)})</span></li>`,
    )
    .join('');
  return `<details><summary>timeline</summary><ol class="timeline">${rows}</ol></details>`;
}

function row(item: ItemSummary, columns: string[]): string {
  return `<tr id="${escapeHtml(itemAnchor(item.workItemId))}" data-item="${escapeHtml(item.workItemId)}" data-status="${escapeHtml(item.status)}"><td>${link(item.url, item.key)}</td><td>${escapeHtml(item.title)}</td>${columns.map((cell) => `<td>${cell}</td>`).join('')}<td>${timeline(item)}</td></tr>`;
}

function section(
  id: string,
  title: string,
  headers: string[],
  items: ItemSummary[],
  cells: (item: ItemSummary) => string[],
): string {
  const body = items.length
    ? items.map((item) => row(item, cells(item))).join('')
    : `<tr><td colspan="${headers.length + 3}" class="empty">none</td></tr>`;
  return `<section id="${id}"><h2>${escapeHtml(title)} <span class="count">${items.length}</span></h2><table><thead><tr><th>item</th><th>title</th>${headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}<th></th></tr></thead><tbody>${body}</tbody></table></section>`;
}

/** ` · feedback round N` for an item whose review feedback went back to an agent. */
function round(item: ItemSummary): string {
  return item.feedbackRound ? ` · feedback round ${item.feedbackRound}` : '';
}

/** The dashboard's content, rendered on the server; the page's script swaps it in on every refresh. */
export function renderStatus(status: TenantStatus): string {
  const connections = status.connections
    .map(
      (c) =>
        `<tr data-provider="${escapeHtml(c.provider)}"><td>${escapeHtml(c.provider)}</td><td>${escapeHtml(c.role)}</td><td class="${c.state === 'connected' ? 'ok' : 'bad'}">${c.state === 'connected' ? '✓' : '✗'} ${escapeHtml(c.state)}</td><td>${escapeHtml(c.detail ?? '')}</td></tr>`,
    )
    .join('');
  return [
    `<p class="meta">tenant <b>${escapeHtml(status.tenant)}</b> · updated <time id="generated">${time(status.generatedAt)}</time></p>`,
    status.breaker && status.breaker.state !== 'closed'
      ? `<p id="breaker" class="bad">Fleet circuit ${escapeHtml(status.breaker.state)} after ${status.breaker.failures} failures: new agents wait until <time>${time(status.breaker.retryAt)}</time>. ${escapeHtml(status.breaker.lastError ?? '')}</p>`
      : '',
    section('in-flight', 'In flight', ['agent', 'since', 'output'], status.inFlight, (item) => [
      escapeHtml(`${item.agentId ?? 'starting'}${round(item)}`),
      time(item.since),
      link(item.outputUrl, item.outputUrl ? 'pull request' : ''),
    ]),
    section('queued', 'Queued', ['position', 'since', 'retry at'], status.queued, (item) => [
      escapeHtml(`${item.position ?? '?'}${round(item)}`),
      time(item.since),
      time(item.retryAt),
    ]),
    section(
      'waiting',
      'Waiting for clarification',
      ['thread', 'asked at', 'expires'],
      status.waiting,
      (item) => [
        item.threadUrl ? link(item.threadUrl, 'thread') : item.threadId ? 'asked' : 'opening…',
        time(item.askedAt),
        time(item.expiresAt),
      ],
    ),
    section('blocked', 'Blocked', ['waiting for', 'since'], status.blocked, (item) => [
      escapeHtml((item.blockedBy ?? []).join(', ')),
      time(item.since),
    ]),
    section('done', 'Recently done', ['output', 'at'], status.recentDone, (item) => [
      link(item.outputUrl, 'pull request'),
      time(item.since),
    ]),
    section(
      'failed',
      'Recently failed or cancelled',
      ['status', 'reason', 'at'],
      status.recentFailed,
      (item) => [escapeHtml(item.status), escapeHtml(item.reason), time(item.since)],
    ),
    `<section id="connections"><h2>Connections</h2><table><thead><tr><th>provider</th><th>role</th><th>status</th><th>detail</th></tr></thead><tbody>${connections}</tbody></table></section>`,
  ].join('\n');
}

/** The dashboard's style sheet, served at `/t/:tenant/dashboard.css` (the CSP allows no inline style). */
export const DASHBOARD_STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#1d1d1f}h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e5e5e5;vertical-align:top}
.count{color:#888;font-weight:normal}.empty{color:#999}.ok{color:#137333}.bad{color:#b3261e}.why{color:#444}.ev,.meta{color:#888}
ol.timeline{margin:.3rem 0;padding-left:1.2rem}time{font-variant-numeric:tabular-nums}
`;

/**
 * The dashboard's script, served at `/t/:tenant/dashboard.js` (the CSP allows no inline script): it
 * refreshes by fetching this same page and swapping the content, keeping open timelines open.
 */
export const DASHBOARD_SCRIPT = `setInterval(async () => {
  try {
    const response = await fetch(location.pathname, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
    if (!response.ok) return;
    const html = await response.text();
    const next = new DOMParser().parseFromString(html, 'text/html').getElementById('content');
    const open = new Set([...document.querySelectorAll('details[open]')].map((d) => d.closest('tr')?.dataset.item));
    if (!next) return;
    document.getElementById('content').innerHTML = next.innerHTML;
    for (const row of document.querySelectorAll('tr[data-item]')) if (open.has(row.dataset.item)) row.querySelector('details')?.setAttribute('open', '');
  } catch {}
}, 2000);
`;

function head(tenant: string, title: string): string {
  const base = `/t/${encodeURIComponent(tenant)}`;
  return `<meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="stylesheet" href="${base}/dashboard.css">`;
}

export function renderPage(tenant: string, content: string): string {
  return `<!doctype html><html lang="en"><head>${head(tenant, `factory · ${tenant}`)}
<script src="/t/${encodeURIComponent(tenant)}/dashboard.js" defer></script></head>
<body><h1>factory · ${escapeHtml(tenant)}</h1>
<form method="post" action="/t/${encodeURIComponent(tenant)}/logout"><button type="submit">Sign out</button></form>
<main id="content">${content}</main></body></html>`;
}

export function renderLogin(tenant: string, error?: string): string {
  return `<!doctype html><html lang="en"><head>${head(tenant, 'factory · sign in')}</head>
<body><h1>factory · ${escapeHtml(tenant)}</h1>${error ? `<p class="bad">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/t/${encodeURIComponent(tenant)}/login"><label>Admin token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></body></html>`;
}

/** The fragment that names an item's row on the dashboard, so a link can point at it. */
export function itemAnchor(workItemId: string): string {
  return `item-${workItemId}`;
}
