/** The pieces every dashboard page is built from: escaping, links, times, the page's frame. */

export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export const isoTime = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** A link to somewhere else (a tracker, a thread, a pull request): only http(s), opened apart. */
export function externalLink(url: string | undefined, text: string): string {
  if (!url || !/^https?:\/\//i.test(url)) return escapeHtml(text);
  return `<a href="${escapeHtml(url)}" rel="noreferrer noopener" target="_blank">${escapeHtml(text)}</a>`;
}

const UNITS: [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1_000, 's'],
];

/** "12 min ago", "in 3 h": the page's script keeps it current, the exact time is on hover. */
export function relativeTime(at: number, now: number): string {
  const delta = at - now;
  const size = Math.abs(delta);
  if (size < 5_000) return 'just now';
  const [unit, name] = UNITS.find(([ms]) => size >= ms) ?? [1_000, 's'];
  const amount = Math.floor(size / unit);
  return delta < 0 ? `${amount} ${name} ago` : `in ${amount} ${name}`;
}

/** A time shown relative to `now`, with the exact UTC time as its title and machine-readable value. */
export function timeTag(at: number | undefined, now: number): string {
  if (at === undefined) return '';
  const exact = isoTime(at);
  return `<time datetime="${exact}" title="${exact}">${relativeTime(at, now)}</time>`;
}

/** A duration in the largest units that keep it readable: "850 ms", "42 s", "3 min 5 s", "2 h 10 min". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.floor(hours / 24)} d`;
}

export const tenantBase = (tenant: string) => `/t/${encodeURIComponent(tenant)}`;

export const itemPath = (tenant: string, workItemId: string) =>
  `${tenantBase(tenant)}/items/${encodeURIComponent(workItemId)}`;

function head(tenant: string, title: string): string {
  return `<meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="stylesheet" href="${tenantBase(tenant)}/dashboard.css">`;
}

export type DashboardView = 'overview' | 'plots' | 'item';

/**
 * A signed-in page: its navigation, the note of when the server was last heard from, and `content`,
 * which the script swaps for a fresh copy when `poll` (a JSON endpoint answering with an ETag) changes.
 */
export function dashboardFrame(options: {
  tenant: string;
  title: string;
  view: DashboardView;
  poll: string;
  /** The ETag of `poll`'s answer this page was rendered from. */
  etag?: string;
  now: number;
  content: string;
  /** Above the live content and kept across refreshes (a filter form someone is typing in). */
  before?: string;
}): string {
  const base = tenantBase(options.tenant);
  const nav = (view: DashboardView, href: string, text: string) =>
    `<a href="${href}"${options.view === view ? ' aria-current="page"' : ''}>${text}</a>`;
  return `<!doctype html><html lang="en"><head>${head(options.tenant, `${options.title} · factory · ${options.tenant}`)}
<script src="${base}/dashboard.js" defer></script></head>
<body><header><p class="brand">factory · <b>${escapeHtml(options.tenant)}</b></p>
<nav aria-label="dashboard">${nav('overview', `${base}/`, 'Overview')} ${nav('plots', `${base}/plots`, 'Plots')}</nav>
<form method="post" action="${base}/logout"><button type="submit">Sign out</button></form></header>
<main><h1>${escapeHtml(options.title)}</h1>
<p id="heard" class="meta">Updated ${timeTag(options.now, options.now)}</p>
${options.before ?? ''}<div id="content" data-poll="${escapeHtml(options.poll)}"${options.etag ? ` data-etag="${escapeHtml(options.etag)}"` : ''}>${options.content}</div></main></body></html>`;
}

export function renderLogin(tenant: string, error?: string): string {
  return `<!doctype html><html lang="en"><head>${head(tenant, 'factory · sign in')}</head>
<body><main><h1>factory · ${escapeHtml(tenant)}</h1>${error ? `<p class="bad" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${tenantBase(tenant)}/login"><label>Admin token <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></main></body></html>`;
}

/** A page that says what went wrong (an unknown item, a bad filter), inside the signed-in frame. */
export function renderProblem(tenant: string, title: string, message: string, now: number): string {
  return dashboardFrame({
    tenant,
    title,
    view: 'item',
    poll: `${tenantBase(tenant)}/status.json`,
    now,
    content: `<p class="bad" role="alert">${escapeHtml(message)}</p><p><a href="${tenantBase(tenant)}/">Back to the overview</a></p>`,
  });
}
