import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * `stoa_http_requests_total{route,method,status}` and
 * `stoa_http_request_duration_seconds{route,method}`. `route` is always a route template (or
 * `unmatched`), never a raw path, so label cardinality stays bounded. Label children are cached:
 * looking them up through prom-client's label hashing on every request is measurable.
 */
export interface HttpMetrics {
  observe(route: string, method: string, status: number, seconds: number): void;
}

const REQUESTS = 'stoa_http_requests_total';
const DURATION = 'stoa_http_request_duration_seconds';
const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

export function createHttpMetrics(registry: Registry): HttpMetrics {
  // A registry may outlive one handler (tests, hot reload): reuse what is registered.
  const requests =
    (registry.getSingleMetric(REQUESTS) as Counter<'route' | 'method' | 'status'> | undefined) ??
    new Counter({
      name: REQUESTS,
      help: 'HTTP requests by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric(DURATION) as Histogram<'route' | 'method'> | undefined) ??
    new Histogram({
      name: DURATION,
      help: 'HTTP request duration in seconds (SSE: until the stream is open)',
      labelNames: ['route', 'method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  // route → method → children. Nested maps keyed by the constant route/method strings (their
  // hashes are cached by V8), not by a freshly concatenated key that would be hashed every time.
  interface Series {
    readonly timer: { observe(v: number): void };
    readonly byStatus: Map<number, { inc(): void }>;
  }
  const byRoute = new Map<string, Map<string, Series>>();
  const seriesFor = (route: string, method: string): Series => {
    let byMethod = byRoute.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      byRoute.set(route, byMethod);
    }
    let series = byMethod.get(method);
    if (series === undefined) {
      series = { timer: duration.labels(route, method), byStatus: new Map() };
      byMethod.set(method, series);
    }
    return series;
  };
  return {
    observe(route, method, status, seconds) {
      const series = seriesFor(route, KNOWN_METHODS.has(method) ? method : 'OTHER');
      let counter = series.byStatus.get(status);
      if (counter === undefined) {
        counter = requests.labels(route, KNOWN_METHODS.has(method) ? method : 'OTHER', String(status));
        series.byStatus.set(status, counter);
      }
      counter.inc();
      series.timer.observe(seconds);
    },
  };
}
