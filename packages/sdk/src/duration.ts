import * as z from 'zod/mini';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses `"90s"`, `"30m"`, `"24h"`, `"7d"` or a number of milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNITS[match[2] as string] as number));
}

/** A config field holding a duration, read as milliseconds. */
export const durationSchema = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.issues.push({
        code: 'custom',
        message: `expected a duration such as "30s", "15m", "24h", "7d" or milliseconds, got ${JSON.stringify(value)}`,
        input: value,
      });
      return z.NEVER;
    }
    return ms;
  }),
);
