import { escapeHtml } from './dashboard-html.ts';

/** A plot drawn as inline SVG on the server: no script, no library, colours from the style sheet. */
export interface Series {
  name: string;
  /** A class of the style sheet: `bar`, `bar fail`, `line`, `line p90`. */
  className: string;
  values: readonly (number | null)[];
}

const WIDTH = 600;
const HEIGHT = 160;
const LEFT = 44;
const BOTTOM = 20;
const TOP = 8;

export interface ChartOptions {
  id: string;
  caption: string;
  kind: 'bars' | 'lines';
  series: readonly Series[];
  /** Labels of the buckets, for the axis (first, middle, last) and the table of numbers. */
  labels: readonly string[];
  format: (value: number) => string;
}

/** A figure: the chart (described for screen readers) and the numbers behind it in a table. */
export function chart(options: ChartOptions): string {
  const { series, labels } = options;
  const count = labels.length;
  const max = Math.max(
    1,
    ...series.flatMap((s) => s.values.filter((value): value is number => value !== null)),
  );
  const plotWidth = WIDTH - LEFT - 4;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(1, count);
  const y = (value: number) => TOP + plotHeight - (value / max) * plotHeight;
  const shapes: string[] = [];
  if (options.kind === 'bars') {
    const width = (slot * 0.8) / series.length;
    series.forEach((s, index) => {
      s.values.forEach((value, i) => {
        if (!value) return;
        const x = LEFT + i * slot + slot * 0.1 + index * width;
        shapes.push(
          `<rect class="${s.className}" x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${width.toFixed(1)}" height="${(TOP + plotHeight - y(value)).toFixed(1)}"><title>${escapeHtml(`${s.name}, ${labels[i]}: ${options.format(value)}`)}</title></rect>`,
        );
      });
    });
  } else {
    for (const s of series) {
      const points: string[] = [];
      s.values.forEach((value, i) => {
        if (value === null) return;
        points.push(`${(LEFT + i * slot + slot / 2).toFixed(1)},${y(value).toFixed(1)}`);
      });
      if (points.length === 1) {
        const [cx, cy] = (points[0] as string).split(',');
        shapes.push(`<circle class="${s.className}" cx="${cx}" cy="${cy}" r="3"/>`);
      } else if (points.length > 1)
        shapes.push(`<polyline class="${s.className}" points="${points.join(' ')}"/>`);
    }
  }
  const ticks = [0, Math.floor((count - 1) / 2), count - 1]
    .filter((i, at, all) => i >= 0 && all.indexOf(i) === at)
    .map((i) => {
      // The first and last labels line up with the plot's edges, so neither is cut off.
      const [x, anchor] =
        i === 0 && count > 1
          ? [LEFT, 'start']
          : i === count - 1 && count > 1
            ? [WIDTH - 4, 'end']
            : [LEFT + i * slot + slot / 2, 'middle'];
      return `<text class="tick" x="${x.toFixed(1)}" y="${HEIGHT - 4}" text-anchor="${anchor}">${escapeHtml(labels[i] ?? '')}</text>`;
    })
    .join('');
  const axes = `<line class="axis" x1="${LEFT}" y1="${TOP + plotHeight}" x2="${WIDTH - 4}" y2="${TOP + plotHeight}"/><text class="tick" x="${LEFT - 4}" y="${TOP + 10}" text-anchor="end">${escapeHtml(options.format(max))}</text><text class="tick" x="${LEFT - 4}" y="${TOP + plotHeight}" text-anchor="end">0</text>`;
  const description = series
    .map((s) => {
      const known = s.values.filter((value): value is number => value !== null);
      const total = known.reduce((sum, value) => sum + value, 0);
      return `${s.name}: ${known.length ? `highest ${options.format(Math.max(...known))}, total ${options.format(total)}` : 'no data'}`;
    })
    .join('; ');
  const legend =
    series.length > 1
      ? `<p class="legend">${series.map((s) => `<span class="${escapeHtml(s.className)}">${s.className.includes('p90') ? '╌' : '━'} ${escapeHtml(s.name)}</span>`).join(' ')}</p>`
      : '';
  const rows = labels
    .map(
      (label, i) =>
        `<tr><th scope="row">${escapeHtml(label)}</th>${series.map((s) => `<td>${s.values[i] === null || s.values[i] === undefined ? '–' : escapeHtml(options.format(s.values[i] as number))}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<figure id="${options.id}" data-chart="${options.kind}"><figcaption id="${options.id}-caption">${escapeHtml(options.caption)}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${options.id}-caption ${options.id}-desc" focusable="false"><desc id="${options.id}-desc">${escapeHtml(description)}</desc>${axes}${shapes.join('')}${ticks}</svg>${legend}
<details id="${options.id}-numbers"><summary>Numbers</summary><table><thead><tr><th scope="col">from</th>${series.map((s) => `<th scope="col">${escapeHtml(s.name)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></details></figure>`;
}
