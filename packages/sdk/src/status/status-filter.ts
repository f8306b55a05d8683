import { WORK_ITEM_STATUSES, type WorkItemStatus } from '../record.ts';
import { isPlotWindow, type PlotWindow } from './plots.ts';
import type { ItemSummary, TenantStatus } from './tenant-status.ts';

/** Which items the overview lists; every field narrows, none given lists them all. */
export interface StatusFilter {
  status?: WorkItemStatus;
  route?: string;
  label?: string;
  /** Case-insensitive text in the item's key or title. */
  text?: string;
}

const MAX_NAME = 100;
const MAX_TEXT = 200;
const CONTROL = /\p{Cc}/u;

export type Parsed<T> = { ok: T } | { error: string };

/** The overview's filter from a query string: a value that is not one it knows is refused by name. */
export function parseStatusFilter(query: URLSearchParams): Parsed<StatusFilter> {
  const filter: StatusFilter = {};
  const status = single(query, 'status');
  if (typeof status === 'object') return status;
  if (status !== undefined) {
    if (!(WORK_ITEM_STATUSES as readonly string[]).includes(status))
      return { error: `status must be one of ${WORK_ITEM_STATUSES.join(', ')}; got "${shown(status)}"` };
    filter.status = status as WorkItemStatus;
  }
  for (const [name, max] of [
    ['route', MAX_NAME],
    ['label', MAX_NAME],
    ['q', MAX_TEXT],
  ] as const) {
    const value = single(query, name);
    if (typeof value === 'object') return value;
    if (value === undefined) continue;
    if (value.length > max) return { error: `${name} must be at most ${max} characters` };
    if (CONTROL.test(value)) return { error: `${name} must not contain control characters` };
    if (name === 'q') filter.text = value;
    else filter[name] = value;
  }
  return { ok: filter };
}

/** The plots' window from a query string; 24 hours when none is given. */
export function parsePlotWindow(query: URLSearchParams): Parsed<PlotWindow> {
  const window = single(query, 'window');
  if (typeof window === 'object') return window;
  if (window === undefined) return { ok: '24h' };
  if (!isPlotWindow(window)) return { error: `window must be one of 24h, 7d, 30d; got "${shown(window)}"` };
  return { ok: window };
}

/** A value given once and not empty; an empty one counts as not given (a form's blank field). */
function single(query: URLSearchParams, name: string): string | undefined | { error: string } {
  const values = query.getAll(name);
  if (values.length > 1) return { error: `give ${name} at most once` };
  const value = values[0];
  return value === undefined || value === '' ? undefined : value;
}

function shown(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

export function isFiltered(filter: StatusFilter): boolean {
  return Object.keys(filter).length > 0;
}

export function matches(item: ItemSummary, filter: StatusFilter): boolean {
  if (filter.status && item.status !== filter.status) return false;
  if (filter.route && item.route !== filter.route) return false;
  if (filter.label && !item.labels.includes(filter.label)) return false;
  if (filter.text) {
    const text = filter.text.toLowerCase();
    if (!item.key.toLowerCase().includes(text) && !item.title.toLowerCase().includes(text)) return false;
  }
  return true;
}

/** The status with only the items the filter lets through; counts and what needs a person stay whole. */
export function filterStatus(status: TenantStatus, filter: StatusFilter): TenantStatus {
  if (!isFiltered(filter)) return status;
  const keep = (items: ItemSummary[]) => items.filter((item) => matches(item, filter));
  return {
    ...status,
    inFlight: keep(status.inFlight),
    queued: keep(status.queued),
    waiting: keep(status.waiting),
    blocked: keep(status.blocked),
    recentDone: keep(status.recentDone),
    recentFailed: keep(status.recentFailed),
  };
}
