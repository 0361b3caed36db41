import autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { causeOf, increment, transportCause } from './causes';
import { LatencyRecorder, type LatencySummary } from './latency';

/**
 * One autocannon run from this process against a server in another, over
 * loopback. Every request body comes from `next()` (bodies rotate over many
 * bindings, or are new clusters); responses other than `expectedStatus`, and
 * expected ones whose body `check` refuses, are counted by cause.
 */
export interface PlannedRequest {
  /** Absent for a GET. */
  body?: string;
  /** Overrides the spec's path (a GET of many URLs). */
  path?: string;
  /** For an answer with the expected status: null when right, else the cause to count. */
  check?: (body: string) => string | null;
}

export interface LoadSpec {
  label: string;
  url: string;
  path: string;
  connections: number;
  /** Run for this long... */
  seconds?: number;
  /** ...or until this many requests are answered (the storm). */
  amount?: number;
  /**
   * A fixed rate (requests per second over all connections), with autocannon's
   * rate limit. autocannon hands each connection its quota at the start of
   * every second, so all connections would burst together; instead each
   * connection runs as its own autocannon instance, started 1/connections of
   * a second after the previous one, which spreads the bursts over the second.
   */
  overallRate?: number;
  timeoutSeconds?: number;
  expectedStatus?: number;
  /** POST with a JSON body unless said otherwise. */
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  next: () => PlannedRequest;
}

export interface LoadResult {
  label: string;
  connections: number;
  overallRate: number | null;
  seconds: number;
  requests: number;
  rps: number;
  latencyMs: LatencySummary;
  statuses: Record<string, number>;
  /** Unexpected answers and transport failures, by cause. */
  errors: Record<string, number>;
  errorCount: number;
}

/** Where the instances of one run record what they see. */
interface Sink {
  latency: LatencyRecorder;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  lastAnswer: number;
}

function runInstance(
  spec: LoadSpec,
  sink: Sink,
  shape: { connections: number; amount?: number; seconds?: number; rate?: number },
): Promise<void> {
  const expectedStatus = spec.expectedStatus ?? 200;
  // autocannon hands each connection's context object to both hooks: it carries the request in flight.
  const inFlight = new WeakMap<object, PlannedRequest>();
  const instance = autocannon(
    {
      url: spec.url,
      connections: shape.connections,
      ...(shape.amount !== undefined ? { amount: shape.amount } : { duration: shape.seconds ?? 10 }),
      ...(shape.rate !== undefined ? { overallRate: shape.rate } : {}),
      timeout: spec.timeoutSeconds ?? 10,
      requests: [
        {
          method: spec.method ?? 'POST',
          path: spec.path,
          headers: { 'content-type': 'application/json', ...spec.headers },
          setupRequest(request, context) {
            const planned = spec.next();
            inFlight.set(context, planned);
            if (planned.body !== undefined) request.body = planned.body;
            if (planned.path !== undefined) request.path = planned.path;
            return request;
          },
          onResponse(status, body, context) {
            if (status !== expectedStatus) {
              increment(sink.errors, causeOf(status, body));
              return;
            }
            const cause = inFlight.get(context)?.check?.(body);
            if (cause) increment(sink.errors, cause);
          },
        },
      ],
    },
    () => undefined,
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    sink.latency.record(responseTime);
    increment(sink.statuses, String(statusCode));
    sink.lastAnswer = performance.now();
  });
  instance.on('reqError', (error: unknown) => increment(sink.errors, transportCause(error)));
  return new Promise<void>((resolve, reject) => {
    instance.on('done', () => resolve());
    instance.on('error', (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
  });
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const started = performance.now();
  const sink: Sink = { latency: new LatencyRecorder(), statuses: {}, errors: {}, lastAnswer: started };
  const rate = spec.overallRate;
  if (rate === undefined) {
    await runInstance(spec, sink, {
      connections: spec.connections,
      ...(spec.amount !== undefined ? { amount: spec.amount } : { seconds: spec.seconds ?? 10 }),
    });
  } else {
    // Exactly rate x seconds requests, each connection its share at its share of the rate.
    const seconds = spec.seconds ?? 10;
    const connections = Math.max(1, Math.min(spec.connections, rate));
    await Promise.all(
      Array.from({ length: connections }, async (_, i) => {
        const share = Math.floor(rate / connections) + (i < rate % connections ? 1 : 0);
        await sleep((1000 * i) / connections);
        await runInstance(spec, sink, { connections: 1, rate: share, amount: share * seconds });
      }),
    );
  }

  const elapsed = (sink.lastAnswer - started) / 1000;
  // A rate-limited run sends its last quota within its last second: it lasted at least the seconds asked for.
  const seconds = rate === undefined ? elapsed : Math.max(elapsed, spec.seconds ?? 10);
  const requests = sink.latency.count;
  return {
    label: spec.label,
    connections: spec.connections,
    overallRate: rate ?? null,
    seconds,
    requests,
    rps: seconds > 0 ? requests / seconds : 0,
    latencyMs: sink.latency.summary(),
    statuses: sink.statuses,
    errors: sink.errors,
    errorCount: Object.values(sink.errors).reduce((sum, count) => sum + count, 0),
  };
}
