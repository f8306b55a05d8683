import { type FactoryPlots, PLOT_WINDOWS, type PlotWindow } from '../status/plots.ts';
import { dashboardFrame, duration, escapeHtml, isoTime, tenantBase } from './dashboard-html.ts';
import { chart } from './svg-chart.ts';

const WINDOW_NAMES: Record<PlotWindow, string> = { '24h': '24 hours', '7d': '7 days', '30d': '30 days' };

const count = (value: number) => String(Math.round(value * 10) / 10);
const percent = (value: number | null) => (value === null ? '–' : `${Math.round(value * 100)} %`);

/** The plots' content: a few figures at the top, then one chart per question an operator asks. */
export function renderPlots(plots: FactoryPlots): string {
  const perHour = plots.window === '24h';
  const labels = plots.starts.map((start) =>
    perHour ? `${isoTime(start).slice(11, 16)}Z` : isoTime(start).slice(5, 10),
  );
  const per = perHour ? 'hour' : 'day';
  const stats: [string, string][] = [
    ['lead time, median', duration(plots.leadTime.overall.median)],
    ['lead time, p90', duration(plots.leadTime.overall.p90)],
    ['waiting for an answer, median', duration(plots.clarification.overall.median)],
    [
      'questions answered',
      `${plots.clarification.answered} of ${plots.clarification.answered + plots.clarification.unanswered}`,
    ],
    ['agent failure rate', percent(plots.agents.failureRate)],
    [
      'attempts per finished item',
      plots.agents.perFinishedItem === null ? '–' : count(plots.agents.perFinishedItem),
    ],
  ];
  return [
    `<p class="meta">From ${plots.records} records, ${escapeHtml(WINDOW_NAMES[plots.window])} to now, one bar per ${per}.</p>`,
    `<ul class="stats" id="stats">${stats.map(([name, value]) => `<li><span class="n">${escapeHtml(value)}</span> ${escapeHtml(name)}</li>`).join('')}</ul>`,
    chart({
      id: 'plot-done',
      caption: `Items done per ${per}`,
      kind: 'bars',
      series: [{ name: 'done', className: 'bar', values: plots.done }],
      labels,
      format: count,
    }),
    chart({
      id: 'plot-lead-time',
      caption: 'Lead time from ready to done',
      kind: 'lines',
      series: [
        { name: 'median', className: 'line', values: plots.leadTime.median },
        { name: 'p90', className: 'line p90', values: plots.leadTime.p90 },
      ],
      labels,
      format: duration,
    }),
    chart({
      id: 'plot-clarification',
      caption: 'Time waiting for an answer (median)',
      kind: 'lines',
      series: [{ name: 'median wait', className: 'line', values: plots.clarification.median }],
      labels,
      format: duration,
    }),
    chart({
      id: 'plot-agents',
      caption: `Agent attempts started and failed per ${per}`,
      kind: 'bars',
      series: [
        { name: 'started', className: 'bar', values: plots.agents.started },
        { name: 'failed', className: 'bar fail', values: plots.agents.failed },
      ],
      labels,
      format: count,
    }),
    chart({
      id: 'plot-queue',
      caption: `Queue depth: most items queued at once per ${per}`,
      kind: 'bars',
      series: [{ name: 'queued', className: 'bar', values: plots.queueDepth }],
      labels,
      format: count,
    }),
  ].join('\n');
}

function windowLinks(tenant: string, current: PlotWindow): string {
  const links = (Object.keys(PLOT_WINDOWS) as PlotWindow[])
    .map(
      (window) =>
        `<li><a href="${tenantBase(tenant)}/plots?window=${window}"${window === current ? ' aria-current="page"' : ''}>${WINDOW_NAMES[window]}</a></li>`,
    )
    .join('');
  return `<nav aria-label="window"><ul class="windows">${links}</ul></nav>`;
}

export function renderPlotsPage(tenant: string, plots: FactoryPlots, etag: string): string {
  return dashboardFrame({
    tenant,
    title: 'Plots',
    view: 'plots',
    poll: `${tenantBase(tenant)}/status.json`,
    etag,
    now: plots.to,
    before: windowLinks(tenant, plots.window),
    content: renderPlots(plots),
  });
}
