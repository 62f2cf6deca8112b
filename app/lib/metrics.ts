/**
 * What the app measures about itself (ADR 0030), shared by the recorder, the
 * MetricsStore Durable Object, `/metrics` and the operations page.
 */

/** What a sample measures. */
export type MetricKind = "request" | "d1" | "kv" | "cache" | "r2" | "ingest" | "gauge";

/**
 * Upper bounds (ms) of the latency histogram's buckets; the last bucket is everything
 * above. Percentiles are read from these, so they are exact to a bucket.
 */
export const LATENCY_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;

/** One aggregated measurement: everything one name and label did in a request (or a minute). */
export interface MetricSample {
  kind: MetricKind;
  /**
   * A D1 statement ("select campaigns"), a route pattern, a KV namespace, a cached read
   * model ("overview"), an R2 operation, an ingestion step, a gauge.
   */
  name: string;
  /** A second dimension: a status class, hit or miss, an object id; "" when none. */
  label: string;
  count: number;
  errors: number;
  sumMs: number;
  maxMs: number;
  /** Counts per LATENCY_BUCKETS_MS bucket (one more than the bounds). */
  buckets: number[];
  /** Bytes moved (R2), pages or chunks (ingestion). */
  bytes: number;
  /** The last value of a gauge. */
  value: number;
}

/** A point of a chart: the start of its interval (epoch ms) and the value, or null for no data. */
export interface SeriesPoint {
  at: number;
  value: number | null;
}

export interface AlertView {
  rule: AlertRule;
  title: string;
  firing: boolean;
  /** Since when it fires (epoch ms), or null. */
  since: number | null;
  value: number | null;
  threshold: number;
  unit: "ms" | "bytes" | "operations";
  /** Whether the webhook was told (null: no webhook configured or not firing). */
  notified: boolean | null;
}

/** The storage strategy's four alerts. */
export const ALERT_RULES = ["d1_latency", "r2_storage", "kv_usage", "do_storage"] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/** An index into LATENCY_BUCKETS_MS for a duration (the last index: above every bound). */
export function bucketOf(ms: number): number {
  const index = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return index === -1 ? LATENCY_BUCKETS_MS.length : index;
}

/**
 * The q-quantile (0..1) of a histogram, interpolated linearly inside its bucket; null
 * when empty. The open last bucket reports its lower bound.
 */
export function quantile(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  const bounds: readonly number[] = LATENCY_BUCKETS_MS;
  let seen = 0;
  for (const [i, count] of buckets.entries()) {
    if (count > 0 && seen + count >= rank) {
      const lower = bounds[i - 1] ?? 0;
      const upper = bounds[i];
      if (upper === undefined) return lower;
      return lower + ((upper - lower) * Math.max(0, rank - seen)) / count;
    }
    seen += count;
  }
  return bounds[bounds.length - 1] ?? null;
}

export function emptyBuckets(): number[] {
  return new Array(LATENCY_BUCKETS_MS.length + 1).fill(0);
}

/** A sample that has measured nothing yet. */
export function emptySample(kind: MetricKind, name: string, label = ""): MetricSample {
  return { kind, name, label, count: 0, errors: 0, sumMs: 0, maxMs: 0, buckets: emptyBuckets(), bytes: 0, value: 0 };
}
