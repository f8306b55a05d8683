/**
 * Counters and histograms keyed by label values, rendered in the Prometheus text format (0.0.4). The
 * first label of every family is the tenant, so one tenant's series can be rendered alone.
 */

const SEPARATOR = '\u0000';

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(names: readonly string[], values: readonly string[], extra = ''): string {
  const pairs = names.map((name, index) => `${name}="${escapeLabel(values[index] ?? '')}"`);
  if (extra) pairs.push(extra);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}

/** Whether a series (its label values, tenant first) is among the tenants rendered. */
function shown(key: string, tenants: ReadonlySet<string>): boolean {
  const end = key.indexOf(SEPARATOR);
  return tenants.has(end === -1 ? key : key.slice(0, end));
}

export class CounterFamily {
  readonly #series = new Map<string, number>();
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];

  constructor(name: string, help: string, labels: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labels = labels;
  }

  inc(values: readonly string[], by = 1): void {
    const key = values.join(SEPARATOR);
    this.#series.set(key, (this.#series.get(key) ?? 0) + by);
  }

  /** The value of one series (tests, and callers that derive a figure). */
  value(values: readonly string[]): number {
    return this.#series.get(values.join(SEPARATOR)) ?? 0;
  }

  render(tenants: ReadonlySet<string>, lines: string[]): void {
    lines.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [key, count] of this.#series)
      if (shown(key, tenants))
        lines.push(`${this.name}${labelText(this.labels, key.split(SEPARATOR))} ${count}`);
  }
}

interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

export class HistogramFamily {
  readonly #series = new Map<string, Histogram>();
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
  readonly bounds: readonly number[];

  constructor(name: string, help: string, labels: readonly string[], bounds: readonly number[]) {
    this.name = name;
    this.help = help;
    this.labels = labels;
    this.bounds = bounds;
  }

  observe(values: readonly string[], value: number): void {
    const key = values.join(SEPARATOR);
    let histogram = this.#series.get(key);
    if (!histogram) {
      histogram = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, histogram);
    }
    // Buckets are stored cumulative, as they are rendered.
    for (let index = 0; index < this.bounds.length; index++)
      if (value <= (this.bounds[index] ?? 0)) histogram.buckets[index] = (histogram.buckets[index] ?? 0) + 1;
    histogram.sum += value;
    histogram.count += 1;
  }

  count(values: readonly string[]): number {
    return this.#series.get(values.join(SEPARATOR))?.count ?? 0;
  }

  /**
   * `always` renders an empty series for each tenant shown that has none (a histogram of the tenant
   * alone, like the dispatch latency), so a dashboard sees zero rather than nothing.
   */
  render(tenants: ReadonlySet<string>, lines: string[], always = false): void {
    lines.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    const series = new Map([...this.#series].filter(([key]) => shown(key, tenants)));
    if (always && this.labels.length === 1)
      for (const tenant of tenants)
        if (!series.has(tenant)) series.set(tenant, { buckets: this.bounds.map(() => 0), sum: 0, count: 0 });
    for (const [key, histogram] of series) {
      const values = key.split(SEPARATOR);
      this.bounds.forEach((bound, index) => {
        lines.push(
          `${this.name}_bucket${labelText(this.labels, values, `le="${bound}"`)} ${histogram.buckets[index] ?? 0}`,
        );
      });
      lines.push(
        `${this.name}_bucket${labelText(this.labels, values, 'le="+Inf"')} ${histogram.count}`,
        `${this.name}_sum${labelText(this.labels, values)} ${histogram.sum}`,
        `${this.name}_count${labelText(this.labels, values)} ${histogram.count}`,
      );
    }
  }
}

/** One gauge family: its value per tenant comes from the tenant's status, read at scrape time. */
export function renderGauge(
  name: string,
  help: string,
  samples: readonly { labels: Record<string, string>; value: number }[],
  lines: string[],
): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
  for (const sample of samples)
    lines.push(
      `${name}${labelText(Object.keys(sample.labels), Object.values(sample.labels))} ${sample.value}`,
    );
}
