import { WORK_ITEM_STATUSES } from '../record.ts';
import type { Attention } from '../status/attention.ts';
import { isFiltered, type StatusFilter } from '../status/status-filter.ts';
import type { ItemSummary, TenantStatus } from '../status/tenant-status.ts';
import { dashboardFrame, escapeHtml, externalLink, itemPath, tenantBase, timeTag } from './dashboard-html.ts';

export { DASHBOARD_SCRIPT, DASHBOARD_STYLE } from './dashboard-assets.ts';
export { renderLogin } from './dashboard-html.ts';

/** The names the overview gives the statuses, in the order it shows their counts. */
const STATUS_NAMES: Record<(typeof WORK_ITEM_STATUSES)[number], string> = {
  new: 'new',
  'waiting-clarification': 'waiting for an answer',
  blocked: 'blocked',
  queued: 'queued',
  dispatched: 'in flight',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

function row(tenant: string, item: ItemSummary, columns: string[]): string {
  return `<tr id="${escapeHtml(itemAnchor(item.workItemId))}" data-item="${escapeHtml(item.workItemId)}" data-status="${escapeHtml(item.status)}"><td><a href="${escapeHtml(itemPath(tenant, item.workItemId))}">${escapeHtml(item.key)}</a></td><td>${escapeHtml(item.title)}</td>${columns.map((cell) => `<td>${cell}</td>`).join('')}</tr>`;
}

function section(
  tenant: string,
  id: string,
  title: string,
  headers: string[],
  items: ItemSummary[],
  cells: (item: ItemSummary) => string[],
): string {
  const body = items.length
    ? items.map((item) => row(tenant, item, cells(item))).join('')
    : `<tr><td colspan="${headers.length + 2}" class="empty">none</td></tr>`;
  const head = ['item', 'title', ...headers].map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  return `<section id="${id}" aria-labelledby="${id}-title"><h2 id="${id}-title">${escapeHtml(title)} <span class="count">${items.length}</span></h2><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></section>`;
}

/** ` · feedback round N` for an item whose review feedback went back to an agent. */
function round(item: ItemSummary): string {
  return item.feedbackRound ? ` · feedback round ${item.feedbackRound}` : '';
}

/** What needs a person, worded, each with the action that moves it. */
function attentionLine(tenant: string, entry: Attention, now: number): string {
  const item = (workItemId: string, key: string, title: string) =>
    `<a href="${escapeHtml(itemPath(tenant, workItemId))}">${escapeHtml(key)}</a> ${escapeHtml(title)}`;
  const action = (text: string) => ` <span class="action">${text}</span>`;
  switch (entry.kind) {
    case 'provider':
      return `<b>${escapeHtml(entry.provider)} (${escapeHtml(entry.role)}) is ${escapeHtml(entry.state)}</b>${entry.detail ? `: ${escapeHtml(entry.detail)}` : ''}. No work moves until it is connected.${action(`Run <code>factory connect ${escapeHtml(entry.provider)}</code> (or sign in again) and check the scopes it asks for.`)}`;
    case 'breaker':
      return `<b>The fleet's circuit is open</b> after ${entry.failures} failures${entry.retryAt !== undefined ? `; it tries again ${timeTag(entry.retryAt, now)}` : ''}. ${escapeHtml(entry.lastError ?? '')}${action('Check the fleet (its status page, its credentials); new agents wait until it answers.')}`;
    case 'cycle':
      return `${item(entry.workItemId, entry.key, entry.title)} <b>is blocked by a cycle</b>: ${escapeHtml(entry.reason)} ${timeTag(entry.since, now)}.${action('Remove one of the blocking relations in the tracker, then move the item to ready again.')}`;
    case 'failed':
      return `${item(entry.workItemId, entry.key, entry.title)} <b>failed</b>: ${escapeHtml(entry.reason)} ${timeTag(entry.since, now)}.${action("Read its attempts on the item's page, fix the cause, then move the item to ready again.")}`;
    case 'long-wait':
      return `${item(entry.workItemId, entry.key, entry.title)} <b>has waited for an answer</b> since ${timeTag(entry.askedAt, now)}.${action(`Answer the question ${entry.threadUrl ? externalLink(entry.threadUrl, 'in its thread') : 'in its thread'}, or make the item clearer in the tracker.`)}`;
  }
}

function attentionSection(status: TenantStatus): string {
  const list = status.attention.length
    ? `<ul>${status.attention.map((entry) => `<li class="attention-${entry.kind}">${attentionLine(status.tenant, entry, status.generatedAt)}</li>`).join('')}</ul>`
    : '<p class="ok">Nothing needs a person.</p>';
  return `<section id="attention" aria-labelledby="attention-title"><h2 id="attention-title">Needs a person <span class="count">${status.attention.length}</span></h2>${list}</section>`;
}

function countsSection(status: TenantStatus): string {
  const base = tenantBase(status.tenant);
  const tiles = WORK_ITEM_STATUSES.map(
    (name) =>
      `<li data-count="${name}"><a href="${base}/?status=${name}"><span class="n">${status.counts[name]}</span> ${STATUS_NAMES[name]}</a></li>`,
  ).join('');
  return `<section id="counts" aria-labelledby="counts-title"><h2 id="counts-title">Items by status</h2><ul class="counts">${tiles}</ul></section>`;
}

/** The filter form: a plain GET form, kept outside the live content so typing is never interrupted. */
export function renderFilterForm(tenant: string, filter: StatusFilter): string {
  const options = ['', ...WORK_ITEM_STATUSES]
    .map(
      (name) =>
        `<option value="${name}"${filter.status === name || (!filter.status && !name) ? ' selected' : ''}>${name ? STATUS_NAMES[name as keyof typeof STATUS_NAMES] : 'any status'}</option>`,
    )
    .join('');
  const field = (name: string, label: string, value: string | undefined, type = 'text') =>
    `<label>${label} <input type="${type}" name="${name}" value="${escapeHtml(value ?? '')}" maxlength="${name === 'q' ? 200 : 100}"></label>`;
  return `<form id="filter" role="search" method="get" action="${tenantBase(tenant)}/"><label>Status <select name="status">${options}</select></label>
${field('route', 'Route', filter.route)} ${field('label', 'Label', filter.label)} ${field('q', 'Search', filter.text, 'search')}
<button type="submit">Filter</button>${isFiltered(filter) ? ` <a href="${tenantBase(tenant)}/">Clear</a>` : ''}</form>`;
}

/** The overview's live content, rendered on the server; the page's script swaps it in when it changes. */
export function renderStatus(status: TenantStatus): string {
  const now = status.generatedAt;
  const t = status.tenant;
  const time = (at: number | undefined) => timeTag(at, now);
  const connections = status.connections
    .map(
      (c) =>
        `<tr data-provider="${escapeHtml(c.provider)}"><td>${escapeHtml(c.provider)}</td><td>${escapeHtml(c.role)}</td><td class="${c.state === 'connected' ? 'ok' : 'bad'}">${c.state === 'connected' ? '✓' : '✗'} ${escapeHtml(c.state)}</td><td>${escapeHtml(c.detail ?? '')}</td></tr>`,
    )
    .join('');
  return [
    attentionSection(status),
    countsSection(status),
    status.breaker && status.breaker.state !== 'closed'
      ? `<p id="breaker" class="bad">Fleet circuit ${escapeHtml(status.breaker.state)} after ${status.breaker.failures} failures: new agents wait until ${time(status.breaker.retryAt)}. ${escapeHtml(status.breaker.lastError ?? '')}</p>`
      : '',
    section(t, 'in-flight', 'In flight', ['agent', 'since', 'output'], status.inFlight, (item) => [
      escapeHtml(`${item.agentId ?? 'starting'}${round(item)}`),
      time(item.since),
      externalLink(item.outputUrl, item.outputUrl ? 'pull request' : ''),
    ]),
    section(t, 'queued', 'Queued', ['position', 'since', 'retry at'], status.queued, (item) => [
      escapeHtml(`${item.position ?? '?'}${round(item)}`),
      time(item.since),
      time(item.retryAt),
    ]),
    section(
      t,
      'waiting',
      'Waiting for clarification',
      ['thread', 'asked', 'expires'],
      status.waiting,
      (item) => [
        item.threadUrl ? externalLink(item.threadUrl, 'thread') : item.threadId ? 'asked' : 'opening…',
        time(item.askedAt),
        time(item.expiresAt),
      ],
    ),
    section(t, 'blocked', 'Blocked', ['waiting for', 'since'], status.blocked, (item) => [
      escapeHtml((item.blockedBy ?? []).join(', ')),
      time(item.since),
    ]),
    section(t, 'done', 'Recently done', ['output', 'at'], status.recentDone, (item) => [
      externalLink(item.outputUrl, 'pull request'),
      time(item.since),
    ]),
    section(
      t,
      'failed',
      'Recently failed or cancelled',
      ['status', 'reason', 'at'],
      status.recentFailed,
      (item) => [escapeHtml(item.status), escapeHtml(item.reason), time(item.since)],
    ),
    `<section id="connections" aria-labelledby="connections-title"><h2 id="connections-title">Connections</h2><table><thead><tr><th scope="col">provider</th><th scope="col">role</th><th scope="col">status</th><th scope="col">detail</th></tr></thead><tbody>${connections}</tbody></table></section>`,
  ].join('\n');
}

/** The overview page: what needs a person, the counts, the filter, and every list. */
export function renderPage(status: TenantStatus, filter: StatusFilter = {}, etag?: string): string {
  return dashboardFrame({
    tenant: status.tenant,
    title: 'Overview',
    view: 'overview',
    poll: `${tenantBase(status.tenant)}/status.json`,
    ...(etag ? { etag } : {}),
    now: status.generatedAt,
    before: renderFilterForm(status.tenant, filter),
    content: renderStatus(status),
  });
}

/** The fragment that names an item's row on the dashboard, so a link can point at it. */
export function itemAnchor(workItemId: string): string {
  return `item-${workItemId}`;
}
