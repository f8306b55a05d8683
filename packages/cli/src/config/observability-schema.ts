// biome-ignore-all lint/suspicious/noTemplateCurlyInString: descriptions show ${…} references as they are written.
import { secretReference } from '@software-factory/providers/registry';
import { checkTraceUrl } from '@software-factory/sdk';
import * as z from 'zod/mini';
import type { SecretResolver } from './secret-reference.ts';

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

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

/** `observability`: where `factory start` sends what it sees of its own work, and where the dashboard links. */
export function observabilitySchema(secrets: SecretResolver) {
  return z
    .optional(
      z.strictObject({
        traceUrl: z.optional(traceUrlSchema),
        otlp: z
          .optional(
            z.strictObject({
              endpoint: z.url({
                protocol: /^https?$/,
                error: 'expected the http(s) URL of an OTLP/HTTP collector such as http://127.0.0.1:4318',
              }),
              headers: z
                .optional(
                  z.record(
                    z
                      .string()
                      .check(
                        z.regex(HEADER_NAME, { error: 'expected an HTTP header name such as authorization' }),
                      ),
                    secretReference(secrets, 'OTLP_AUTHORIZATION'),
                  ),
                )
                .check(
                  z.describe(
                    'Headers sent with every export, e.g. `authorization: ${OTLP_AUTHORIZATION}`; each value only as a reference to an environment variable, and never logged.',
                  ),
                ),
            }),
          )
          .check(
            z.describe(
              'Exports traces (a span per webhook delivery, handled event, effect and provider call; one trace per work item run) with the OpenTelemetry SDK over OTLP/HTTP to `endpoint` (the collector’s base URL; /v1/traces is added unless the path ends with it). Needs the packages @opentelemetry/sdk-trace, @opentelemetry/exporter-trace-otlp-http and @opentelemetry/resources.',
            ),
          ),
      }),
    )
    .check(
      z.describe(
        'What the factory tells an operator’s telemetry about its own work, and where the dashboard links to it.',
      ),
    );
}

export type ObservabilityConfig = z.output<ReturnType<typeof observabilitySchema>>;
