import { bucketOf, emptySample, type MetricKind, type MetricSample } from "~/lib/metrics";

/** Distinct series a recorder keeps by default: a runaway label cannot grow memory. */
const MAX_SERIES = 500;

/**
 * Collects what one request (or one Durable Object alarm) did, aggregated by kind, name
 * and label as it goes: a map update per measurement, nothing written until `drain`
 * (ADR 0030). Not shared between requests.
 */
export class MetricsRecorder {
  private readonly series = new Map<string, MetricSample>();
  /** The matched route pattern, set by the root middleware. */
  route: string | null = null;

  constructor(private readonly maxSeries = MAX_SERIES) {}

  /** Distinct series held now. */
  get size(): number {
    return this.series.size;
  }

  /** Adds samples another recorder drained (a gauge keeps the latest value). */
  absorb(samples: MetricSample[]): void {
    for (const s of samples) {
      const into = this.sampleFor(s.kind, s.name, s.label);
      if (!into) continue;
      into.count += s.count;
      into.errors += s.errors;
      into.sumMs += s.sumMs;
      into.maxMs = Math.max(into.maxMs, s.maxMs);
      into.bytes += s.bytes;
      if (s.kind === "gauge") into.value = s.value;
      for (const [i, n] of s.buckets.entries()) into.buckets[i] = (into.buckets[i] ?? 0) + n;
    }
  }

  /** One timed operation; `bytes` counts what it moved. */
  observe(kind: MetricKind, name: string, label: string, ms: number, ok: boolean, bytes = 0): void {
    const sample = this.sampleFor(kind, name, label);
    if (!sample) return;
    sample.count++;
    if (!ok) sample.errors++;
    sample.sumMs += ms;
    sample.maxMs = Math.max(sample.maxMs, ms);
    const bucket = bucketOf(ms);
    sample.buckets[bucket] = (sample.buckets[bucket] ?? 0) + 1;
    sample.bytes += bytes;
  }

  /** An amount without a duration (pages read, chunks indexed). */
  add(kind: MetricKind, name: string, label: string, amount: number): void {
    const sample = this.sampleFor(kind, name, label);
    if (!sample) return;
    sample.count++;
    sample.bytes += amount;
  }

  /** The current value of something that has a size (bytes stored, a Durable Object's database). */
  gauge(name: string, label: string, value: number): void {
    const sample = this.sampleFor("gauge", name, label);
    if (!sample) return;
    sample.count++;
    sample.value = value;
  }

  /** Times `work` as one operation; a throw counts as an error and is rethrown. */
  async time<T>(kind: MetricKind, name: string, label: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    let ok = false;
    try {
      const result = await work();
      ok = true;
      return result;
    } finally {
      this.observe(kind, name, label, performance.now() - start, ok);
    }
  }

  /** Everything recorded so far, and a fresh start. */
  drain(): MetricSample[] {
    const samples = [...this.series.values()];
    this.series.clear();
    return samples;
  }

  private sampleFor(kind: MetricKind, name: string, label: string): MetricSample | null {
    const key = `${kind}\u0000${name}\u0000${label}`;
    let sample = this.series.get(key);
    if (!sample) {
      if (this.series.size >= this.maxSeries) return null;
      sample = emptySample(kind, name, label);
      this.series.set(key, sample);
    }
    return sample;
  }
}

/**
 * A statement's name for its metrics: the verb and the table it works on, e.g.
 * "select campaigns", "insert into file_versions" → "insert file_versions". Bounded by
 * the schema (the SQL is the code's, never a user's), so it is safe as a label.
 */
export function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = nameOf(sql);
    // The code has a bounded set of statements; the bound only guards against surprises.
    if (statementNames.size < 2000) statementNames.set(sql, name);
  }
  return name;
}

const statementNames = new Map<string, string>();

function nameOf(sql: string): string {
  const text = sql.replace(/\s+/g, " ").trim().toLowerCase();
  const verb = /^(with|select|insert|update|delete|replace|pragma|create|drop|alter)\b/.exec(text)?.[1] ?? "other";
  const table =
    verb === "insert" || verb === "replace"
      ? /\binto "?([\w]+)"?/.exec(text)?.[1]
      : verb === "update"
        ? /^update "?([\w]+)"?/.exec(text)?.[1]
        : /\bfrom "?([\w]+)"?/.exec(text)?.[1];
  return table ? `${verb} ${table}` : verb;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * A request's name for its metrics: the method and the matched route pattern
 * ("GET /campaigns/:campaignId"), never the path itself (unbounded, and it names things).
 * Requests answered before routing (sockets, refusals) and unmatched ones are grouped.
 */
export function requestName(method: string, route: string | null | undefined): string {
  const path = route == null ? "(not routed)" : route.startsWith("/") ? route : `/${route}`;
  return `${METHODS.has(method) ? method : "OTHER"} ${path}`;
}

/** A response's status for its metrics: its class ("2xx" … "5xx"), which bounds the label. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}
