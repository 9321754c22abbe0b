import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry traces (README "Traces"), off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Spans are
 * made by hand where Tally knows what happens (a request, a command, a database statement) rather
 * than by patching modules at load time, which an ES-module process cannot do without a loader.
 */
export const TRACER_NAME = 'tally';

export interface Tracing {
  readonly tracer: Tracer;
  /** Sends what is still batched, then stops exporting. */
  shutdown(): Promise<void>;
}

/** Exports over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`, as the OTLP specification names the path. */
export function startTracing(endpoint: string, serviceName = 'tally'): Tracing {
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    // Spans leave in batches, off the request's path; one second keeps them close to real time.
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 })],
  });
  // Registers the AsyncLocalStorage context manager: a span started in a request is the parent of
  // everything that request awaits.
  provider.register();
  return {
    tracer: trace.getTracer(TRACER_NAME),
    shutdown: () => provider.shutdown(),
  };
}
