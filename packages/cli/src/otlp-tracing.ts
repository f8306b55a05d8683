import { trace } from '@opentelemetry/api';
import { importOptionalPeer, type Logger } from '@software-factory/sdk';
import type { ObservabilityConfig } from './config/observability-schema.ts';

type OtlpConfig = NonNullable<NonNullable<ObservabilityConfig>['otlp']>;

/** Tracing exported while the process runs; `shutdown` sends what is left and stops. */
export interface OtlpTracing {
  shutdown(): Promise<void>;
}

const PURPOSE = 'observability.otlp';

/**
 * Registers the OpenTelemetry trace SDK with a batching OTLP/HTTP (JSON) exporter to `otlp.endpoint`,
 * so the core's spans leave the process. Loaded only when configured: without `observability.otlp` no
 * OpenTelemetry SDK module is imported at all. The headers (credentials of the collector) are passed to
 * the exporter and to nothing else: neither they nor the endpoint's user info are logged.
 */
export async function startOtlpTracing(
  otlp: OtlpConfig,
  options: { serviceName: string; version: string; logger: Logger },
): Promise<OtlpTracing> {
  const [{ BatchSpanProcessor, TracerProvider }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      importOptionalPeer('@opentelemetry/sdk-trace', PURPOSE, () => import('@opentelemetry/sdk-trace')),
      importOptionalPeer(
        '@opentelemetry/exporter-trace-otlp-http',
        PURPOSE,
        () => import('@opentelemetry/exporter-trace-otlp-http'),
      ),
      importOptionalPeer('@opentelemetry/resources', PURPOSE, () => import('@opentelemetry/resources')),
    ]);
  const url = tracesUrl(otlp.endpoint);
  const exporter = new OTLPTraceExporter({ url: url.href, headers: { ...(otlp.headers ?? {}) } });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.version,
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  if (!trace.setGlobalTracerProvider(provider)) {
    await provider.shutdown();
    throw new Error(
      'observability.otlp: another OpenTelemetry tracer provider is registered in this process',
    );
  }
  options.logger.info('exporting traces over OTLP', { endpoint: `${url.origin}${url.pathname}` });
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
    },
  };
}

/** The collector's base URL with `/v1/traces` added, as `OTEL_EXPORTER_OTLP_ENDPOINT` is read. */
export function tracesUrl(endpoint: string): URL {
  const url = new URL(endpoint);
  if (!url.pathname.endsWith('/v1/traces')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url;
}
