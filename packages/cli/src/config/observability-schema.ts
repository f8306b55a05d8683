import { checkTraceUrl } from '@software-factory/sdk';
import * as z from 'zod/mini';

/** The trace link of the dashboard's item pages: an https URL with `{traceId}` where the id goes. */
export const traceUrlSchema = z.string().check(
  z.refine(
    (value) => {
      try {
        checkTraceUrl(value);
        return true;
      } catch {
        return false;
      }
    },
    {
      error:
        'expected an https URL with {traceId} in it, such as https://grafana.example.com/explore?traceId={traceId}',
    },
  ),
  z.describe(
    "A link to a run's trace in your tracing UI, `{traceId}` where the id goes (https): each item's page on the dashboard links its current run's trace.",
  ),
);
