import {
  ALERT_RULES,
  type AlertRule,
  type AlertView,
  emptyBuckets,
  emptySample,
  type MetricKind,
  type MetricSample,
  quantile,
  type SeriesPoint,
} from "~/lib/metrics";

const MINUTE_MS = 60_000;
/** Per-minute rows are kept this long: the day chart and a margin (ADR 0030). */
export const RETENTION_MINUTES = 25 * 60;
/** Object sizes not reported for this long are dropped (a deleted account's tracker). */
const OBJECT_STALE_MS = 7 * 24 * 60 * MINUTE_MS;
/** Fewer D1 statements than this in the alert's window say nothing about latency. */
export const D1_ALERT_MIN_STATEMENTS = 20;
const D1_ALERT_WINDOW_MINUTES = 15;
const ALERT_HISTORY_KEPT = 100;
/** A webhook delivery claimed but not confirmed is tried again after this long. */
const NOTIFY_RETRY_MS = 5 * MINUTE_MS;
/** The gauge whose samples are per object (a Durable Object's database size), kept apart from the minutes. */
export const OBJECT_STORAGE_GAUGE = "do_storage";

export type Window = "hour" | "day";
/** The hour is charted from the minutes, the day from the quarter-hour rollup (a row per 15 minutes). */
const WINDOWS: Record<Window, { intervals: number; minutes: number; table: "minutes" | "quarters" }> = {
  hour: { intervals: 60, minutes: 1, table: "minutes" },
  day: { intervals: 96, minutes: 15, table: "quarters" },
};
/**
 * New series one minute takes; beyond it a sample is folded into "(other)", so no mix of
 * methods, routes and statuses can grow the store without bound.
 */
export const MAX_SERIES_PER_MINUTE = 2_000;
/** Statements charted one by one (the busiest by total time); the table lists more. */
const BUSIEST_STATEMENTS = 3;

export interface AlertThresholds {
  d1P95Ms: number;
  r2Bytes: number;
  kvDailyOperations: number;
  doStorageBytes: number;
}

/** What one latency-like thing did over a window. */
export interface LatencySummary {
  name: string;
  label: string;
  count: number;
  errors: number;
  p50: number | null;
  p95: number | null;
  bytes: number;
}

export interface Dashboard {
  window: Window;
  from: number;
  to: number;
  requests: { p50: SeriesPoint[]; p95: SeriesPoint[]; errorRate: SeriesPoint[]; routes: LatencySummary[] };
  d1: {
    p50: SeriesPoint[];
    p95: SeriesPoint[];
    statements: LatencySummary[];
    /** The p95 over time of the statements that took the most time. */
    busiest: { name: string; p95: SeriesPoint[] }[];
  };
  kv: {
    hitRate: SeriesPoint[];
    namespaces: (LatencySummary & { hits: number; misses: number })[];
    /** The read-model cache (ADR 0029), per model. */
    readModels: (LatencySummary & { hits: number; misses: number })[];
  };
  r2: { bytesStored: SeriesPoint[]; operations: LatencySummary[] };
  ingest: { pages: SeriesPoint[]; chunks: SeriesPoint[]; failures: SeriesPoint[]; steps: LatencySummary[] };
  durableObjects: { totalBytes: SeriesPoint[]; largest: { object: string; bytes: number; at: number }[] };
  alerts: AlertView[];
}

/** A series' running total since the store began. */
export type Totals = Omit<MetricSample, "maxMs">;

type Row = {
  minute: number;
  kind: MetricKind;
  name: string;
  label: string;
  count: number;
  errors: number;
  sum_ms: number;
  max_ms: number;
  buckets: string;
  bytes: number;
  value: number;
};

/**
 * The app's own metrics, in the MetricsStore Durable Object's SQLite storage: one row per
 * minute, kind, name and label (retained RETENTION_MINUTES), running totals for
 * `/metrics`, the latest database size of each Durable Object, and the alerts' state.
 * Every method runs synchronously against storage, so each is atomic in the object.
 */
export class MetricsTables {
  private prunedMinute = 0;
  /** Series the current minute holds (counted as they are added; reset each minute). */
  private seriesThisMinute = 0;

  constructor(private readonly sql: SqlStorage) {
    // The minutes and their quarter-hour rollup have one shape ("minute" holds the quarter's number there).
    const perInterval = (table: string) => `
      CREATE TABLE IF NOT EXISTS ${table} (
        minute INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, label TEXT NOT NULL,
        count INTEGER NOT NULL, errors INTEGER NOT NULL, sum_ms REAL NOT NULL, max_ms REAL NOT NULL,
        buckets TEXT NOT NULL, bytes INTEGER NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (minute, kind, name, label)
      ) WITHOUT ROWID;`;
    sql.exec(`
      ${perInterval("minutes")}
      CREATE INDEX IF NOT EXISTS minutes_kind_idx ON minutes (kind, minute);
      ${perInterval("quarters")}
      CREATE TABLE IF NOT EXISTS totals (
        kind TEXT NOT NULL, name TEXT NOT NULL, label TEXT NOT NULL,
        count INTEGER NOT NULL, errors INTEGER NOT NULL, sum_ms REAL NOT NULL,
        buckets TEXT NOT NULL, bytes INTEGER NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (kind, name, label)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS objects (object TEXT PRIMARY KEY, bytes INTEGER NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS alerts (
        rule TEXT PRIMARY KEY, since INTEGER NOT NULL, value REAL NOT NULL,
        notified_at INTEGER, claimed_at INTEGER
      );
      CREATE TABLE IF NOT EXISTS alert_history (
        id INTEGER PRIMARY KEY, rule TEXT NOT NULL, fired_at INTEGER NOT NULL, cleared_at INTEGER, peak REAL NOT NULL
      );
    `);
  }

  /** Adds a request's (or an alarm's) samples to the current minute and the totals. */
  record(samples: MetricSample[], now = Date.now()): void {
    const minute = Math.floor(now / MINUTE_MS);
    if (minute !== this.prunedMinute) {
      this.prunedMinute = minute;
      this.seriesThisMinute = this.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM minutes WHERE minute = ?", minute)
        .one().n;
      this.sql.exec("DELETE FROM minutes WHERE minute < ?", minute - RETENTION_MINUTES);
      this.sql.exec("DELETE FROM quarters WHERE minute < ?", quarterOf(minute - RETENTION_MINUTES));
    }
    let objectsChanged = false;
    for (const sample of samples) {
      if (sample.kind === "gauge" && sample.name === OBJECT_STORAGE_GAUGE) {
        this.sql.exec(
          "INSERT INTO objects (object, bytes, at) VALUES (?, ?, ?) ON CONFLICT (object) DO UPDATE SET bytes = excluded.bytes, at = excluded.at",
          sample.label,
          sample.value,
          now,
        );
        objectsChanged = true;
        continue;
      }
      this.add(minute, this.withinSeriesCap(minute, sample));
    }
    if (objectsChanged) {
      this.sql.exec("DELETE FROM objects WHERE at < ?", now - OBJECT_STALE_MS);
      const total = this.sql
        .exec<{ total: number }>("SELECT coalesce(sum(bytes), 0) AS total FROM objects")
        .one().total;
      this.add(minute, { ...emptySample("gauge", "do_storage_total"), count: 1, value: total });
    }
  }

  /** A sample into its minute, its quarter-hour and the running totals. */
  private add(minute: number, sample: MetricSample): void {
    this.merge("minutes", minute, sample);
    this.merge("quarters", quarterOf(minute), sample);
    this.merge("totals", null, sample);
  }

  /**
   * The sample as recorded: as "(other)" once the minute holds MAX_SERIES_PER_MINUTE series
   * (counted by `record` when the minute began, and as series are added).
   */
  private withinSeriesCap(minute: number, sample: MetricSample): MetricSample {
    const exists =
      this.sql
        .exec(
          "SELECT 1 FROM minutes WHERE minute = ? AND kind = ? AND name = ? AND label = ?",
          minute,
          sample.kind,
          sample.name,
          sample.label,
        )
        .toArray().length > 0;
    if (exists) return sample;
    if (this.seriesThisMinute >= MAX_SERIES_PER_MINUTE) return { ...sample, name: "(other)", label: "" };
    this.seriesThisMinute++;
    return sample;
  }

  private merge(table: "minutes" | "quarters" | "totals", minute: number | null, s: MetricSample): void {
    const where = "kind = ? AND name = ? AND label = ?";
    const key = [s.kind, s.name, s.label];
    const existing =
      table === "totals"
        ? this.sql.exec<Row>(`SELECT * FROM totals WHERE ${where}`, ...key).toArray()[0]
        : this.sql.exec<Row>(`SELECT * FROM ${table} WHERE minute = ? AND ${where}`, minute, ...key).toArray()[0];
    const buckets = existing ? (JSON.parse(existing.buckets) as number[]) : emptyBuckets();
    for (const [i, n] of s.buckets.entries()) buckets[i] = (buckets[i] ?? 0) + n;
    const merged = {
      count: (existing?.count ?? 0) + s.count,
      errors: (existing?.errors ?? 0) + s.errors,
      sumMs: (existing?.sum_ms ?? 0) + s.sumMs,
      maxMs: Math.max(existing?.max_ms ?? 0, s.maxMs),
      bytes: (existing?.bytes ?? 0) + s.bytes,
      // A gauge keeps its latest value; counters have none.
      value: s.kind === "gauge" ? s.value : 0,
    };
    if (table !== "totals") {
      this.sql.exec(
        `INSERT OR REPLACE INTO ${table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        minute,
        ...key,
        merged.count,
        merged.errors,
        merged.sumMs,
        merged.maxMs,
        JSON.stringify(buckets),
        merged.bytes,
        merged.value,
      );
    } else {
      this.sql.exec(
        "INSERT OR REPLACE INTO totals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ...key,
        merged.count,
        merged.errors,
        merged.sumMs,
        JSON.stringify(buckets),
        merged.bytes,
        merged.value,
      );
    }
  }

  /** Running totals since the store began (Prometheus counters), and each object's size. */
  totals(): { series: Totals[]; objects: { object: string; bytes: number }[] } {
    const series = this.sql
      .exec<Omit<Row, "minute" | "max_ms">>("SELECT * FROM totals ORDER BY kind, name, label")
      .toArray()
      .map((r) => ({
        kind: r.kind,
        name: r.name,
        label: r.label,
        count: r.count,
        errors: r.errors,
        sumMs: r.sum_ms,
        buckets: JSON.parse(r.buckets) as number[],
        bytes: r.bytes,
        value: r.value,
      }));
    const objects = this.sql
      .exec<{ object: string; bytes: number }>("SELECT object, bytes FROM objects ORDER BY bytes DESC LIMIT 50")
      .toArray();
    return { series, objects };
  }

  /** Everything the operations page charts, for the last hour or day. */
  dashboard(window: Window, thresholds: AlertThresholds, now = Date.now()): Dashboard {
    const { intervals, minutes, table } = WINDOWS[window];
    const last = Math.floor(now / MINUTE_MS);
    // The day's intervals are whole quarter-hours, the last one the current (partial) quarter.
    const first = table === "quarters" ? (quarterOf(last) - intervals + 1) * 15 : last - intervals + 1;
    const rows = this.sql
      .exec<Row>(
        `SELECT * FROM ${table} WHERE minute >= ? AND minute <= ?`,
        table === "quarters" ? quarterOf(first) : first,
        table === "quarters" ? quarterOf(last) : last,
      )
      .toArray()
      .map((r) => (table === "quarters" ? { ...r, minute: r.minute * 15 } : r));
    const slot = (minute: number) => Math.floor((minute - first) / minutes);
    const at = (i: number) => (first + i * minutes) * MINUTE_MS;
    const of = (kind: MetricKind, name?: string) => rows.filter((r) => r.kind === kind && (!name || r.name === name));

    const perInterval = <T>(selected: Row[], start: () => T, add: (acc: T, r: Row) => void) => {
      const acc = Array.from({ length: intervals }, start);
      for (const r of selected) {
        const interval = acc[slot(r.minute)];
        if (interval !== undefined) add(interval, r);
      }
      return acc;
    };
    const latency = (selected: Row[]) => {
      const hist = perInterval(selected, emptyBuckets, (acc, r) => addBuckets(acc, r.buckets));
      return {
        p50: hist.map((h, i) => ({ at: at(i), value: quantile(h, 0.5) })),
        p95: hist.map((h, i) => ({ at: at(i), value: quantile(h, 0.95) })),
      };
    };
    const sums = (selected: Row[], pick: (r: Row) => number, emptyAsNull = false) =>
      perInterval(
        selected,
        () => ({ n: 0, seen: false }),
        (acc, r) => {
          acc.n += pick(r);
          acc.seen = true;
        },
      ).map((v, i) => ({ at: at(i), value: emptyAsNull && !v.seen ? null : v.n }));
    const lastGauge = (name: string) =>
      perInterval(
        of("gauge", name),
        () => ({ minute: -1, value: null as number | null }),
        (acc, r) => {
          if (r.minute > acc.minute) Object.assign(acc, { minute: r.minute, value: r.value });
        },
      ).map((v, i) => ({ at: at(i), value: v.value }));

    const statements = summarize(of("d1"), (r) => r.name);
    const requests = of("request");
    const reqCounts = perInterval(
      requests,
      () => ({ n: 0, failed: 0 }),
      (acc, r) => {
        acc.n += r.count;
        if (r.label.startsWith("5")) acc.failed += r.count;
      },
    );
    const kvRows = of("kv");
    const kvReads = perInterval(
      kvRows.filter((r) => r.label === "hit" || r.label === "miss"),
      () => ({ hits: 0, reads: 0 }),
      (acc, r) => {
        acc.reads += r.count;
        if (r.label === "hit") acc.hits += r.count;
      },
    );
    const hitsAndMisses = (selected: Row[]) =>
      summarize(
        selected.filter((r) => r.label === "hit" || r.label === "miss"),
        (r) => r.name,
      ).map((s) => {
        const hits = selected.filter((r) => r.name === s.name && r.label === "hit").reduce((n, r) => n + r.count, 0);
        return { ...s, label: "", hits, misses: s.count - hits };
      });
    const namespaces = hitsAndMisses(kvRows);
    const ingest = of("ingest");
    const objects = this.sql
      .exec<{ object: string; bytes: number; at: number }>(
        "SELECT object, bytes, at FROM objects ORDER BY bytes DESC LIMIT 10",
      )
      .toArray();

    return {
      window,
      from: at(0),
      to: (last + 1) * MINUTE_MS,
      requests: {
        ...latency(requests),
        errorRate: reqCounts.map((c, i) => ({ at: at(i), value: c.n ? c.failed / c.n : null })),
        routes: summarize(requests, (r) => `${r.name}\u0000${r.label}`).slice(0, 20),
      },
      d1: {
        ...latency(of("d1")),
        statements: statements.slice(0, 20),
        busiest: statements
          .slice(0, BUSIEST_STATEMENTS)
          .map((st) => ({ name: st.name, p95: latency(of("d1", st.name)).p95 })),
      },
      kv: {
        hitRate: kvReads.map((c, i) => ({ at: at(i), value: c.reads ? c.hits / c.reads : null })),
        namespaces,
        readModels: hitsAndMisses(of("cache")),
      },
      r2: { bytesStored: lastGauge("r2_bytes_stored"), operations: summarize(of("r2"), (r) => r.name) },
      ingest: {
        pages: sums(
          ingest.filter((r) => r.label === "pages"),
          (r) => r.bytes,
        ),
        chunks: sums(
          ingest.filter((r) => r.label === "chunks"),
          (r) => r.bytes,
        ),
        failures: sums(ingest, (r) => r.errors),
        steps: summarize(
          ingest.filter((r) => r.label === ""),
          (r) => r.name,
        ),
      },
      durableObjects: { totalBytes: lastGauge("do_storage_total"), largest: objects },
      alerts: this.alerts(thresholds),
    };
  }

  /**
   * Evaluates the four alert rules: a rule over its threshold starts firing (once, with a
   * history row), one under it clears. Returns the alerts and those whose firing the
   * webhook has not been told of yet (claimed now, so an overlapping run does not post
   * them again; confirmed with `notified`).
   */
  evaluate(thresholds: AlertThresholds, now = Date.now()): { alerts: AlertView[]; toNotify: AlertView[] } {
    const values = this.ruleValues(now);
    for (const rule of ALERT_RULES) {
      const value = values[rule];
      const over = value !== null && value >= thresholdOf(rule, thresholds);
      const firing = this.sql.exec<{ since: number }>("SELECT since FROM alerts WHERE rule = ?", rule).toArray()[0];
      if (over && !firing) {
        this.sql.exec("INSERT INTO alerts (rule, since, value) VALUES (?, ?, ?)", rule, now, value);
        this.sql.exec("INSERT INTO alert_history (rule, fired_at, peak) VALUES (?, ?, ?)", rule, now, value);
      } else if (over) {
        this.sql.exec("UPDATE alerts SET value = ? WHERE rule = ?", value, rule);
        this.sql.exec(
          "UPDATE alert_history SET peak = max(peak, ?) WHERE rule = ? AND cleared_at IS NULL",
          value,
          rule,
        );
      } else if (firing) {
        this.sql.exec("DELETE FROM alerts WHERE rule = ?", rule);
        this.sql.exec("UPDATE alert_history SET cleared_at = ? WHERE rule = ? AND cleared_at IS NULL", now, rule);
      }
    }
    this.sql.exec(
      "DELETE FROM alert_history WHERE id NOT IN (SELECT id FROM alert_history ORDER BY id DESC LIMIT ?)",
      ALERT_HISTORY_KEPT,
    );
    const claimed = this.sql
      .exec<{ rule: AlertRule }>(
        "UPDATE alerts SET claimed_at = ? WHERE notified_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?) RETURNING rule",
        now,
        now - NOTIFY_RETRY_MS,
      )
      .toArray()
      .map((r) => r.rule);
    const alerts = this.alerts(thresholds);
    return { alerts, toNotify: alerts.filter((a) => claimed.includes(a.rule)) };
  }

  /** The webhook was told of this firing (the one that began at `since`). */
  notified(rule: AlertRule, since: number, now = Date.now()): void {
    this.sql.exec("UPDATE alerts SET notified_at = ? WHERE rule = ? AND since = ?", now, rule, since);
  }

  /** A delivery failed: the next evaluation may try again at once. */
  notifyFailed(rule: AlertRule, since: number): void {
    this.sql.exec("UPDATE alerts SET claimed_at = NULL WHERE rule = ? AND since = ?", rule, since);
  }

  alerts(thresholds: AlertThresholds): AlertView[] {
    const rows = new Map(
      this.sql
        .exec<{ rule: AlertRule; since: number; value: number; notified_at: number | null }>("SELECT * FROM alerts")
        .toArray()
        .map((r) => [r.rule, r]),
    );
    return ALERT_RULES.map((rule) => {
      const row = rows.get(rule);
      return {
        rule,
        ...ALERT_TEXT[rule],
        firing: Boolean(row),
        since: row?.since ?? null,
        value: row?.value ?? null,
        threshold: thresholdOf(rule, thresholds),
        notified: row ? row.notified_at !== null : null,
      };
    });
  }

  /** The recent firings, newest first. */
  history(): { rule: AlertRule; firedAt: number; clearedAt: number | null; peak: number }[] {
    return this.sql
      .exec<{ rule: AlertRule; fired_at: number; cleared_at: number | null; peak: number }>(
        "SELECT rule, fired_at, cleared_at, peak FROM alert_history ORDER BY id DESC LIMIT 20",
      )
      .toArray()
      .map((r) => ({ rule: r.rule, firedAt: r.fired_at, clearedAt: r.cleared_at, peak: r.peak }));
  }

  private ruleValues(now: number): Record<AlertRule, number | null> {
    const minute = Math.floor(now / MINUTE_MS);
    const d1 = this.sql
      .exec<{ buckets: string; count: number }>(
        "SELECT buckets, count FROM minutes WHERE kind = 'd1' AND minute > ?",
        minute - D1_ALERT_WINDOW_MINUTES,
      )
      .toArray();
    const d1Hist = emptyBuckets();
    for (const r of d1) addBuckets(d1Hist, r.buckets);
    const d1Count = d1.reduce((n, r) => n + r.count, 0);
    const kvOps = this.sql
      .exec<{ n: number }>(
        "SELECT coalesce(sum(count), 0) AS n FROM minutes WHERE kind = 'kv' AND minute > ?",
        minute - 24 * 60,
      )
      .one().n;
    const r2 = this.sql
      .exec<{ value: number }>("SELECT value FROM totals WHERE kind = 'gauge' AND name = 'r2_bytes_stored'")
      .toArray()[0];
    const largest = this.sql.exec<{ bytes: number }>("SELECT max(bytes) AS bytes FROM objects").toArray()[0];
    return {
      d1_latency: d1Count >= D1_ALERT_MIN_STATEMENTS ? quantile(d1Hist, 0.95) : null,
      r2_storage: r2?.value ?? null,
      kv_usage: kvOps,
      do_storage: largest?.bytes ?? null,
    };
  }
}

const ALERT_TEXT: Record<AlertRule, { title: string; unit: AlertView["unit"] }> = {
  d1_latency: { title: "D1 latency (p95, last 15 minutes)", unit: "ms" },
  r2_storage: { title: "R2 bytes stored", unit: "bytes" },
  kv_usage: { title: "KV operations (last 24 hours)", unit: "operations" },
  do_storage: { title: "Largest Durable Object's storage", unit: "bytes" },
};

function thresholdOf(rule: AlertRule, t: AlertThresholds): number {
  switch (rule) {
    case "d1_latency":
      return t.d1P95Ms;
    case "r2_storage":
      return t.r2Bytes;
    case "kv_usage":
      return t.kvDailyOperations;
    case "do_storage":
      return t.doStorageBytes;
  }
}

/** The quarter-hour a minute falls in (minutes since the epoch, divided by 15). */
function quarterOf(minute: number): number {
  return Math.floor(minute / 15);
}

function addBuckets(into: number[], json: string): void {
  const add = JSON.parse(json) as number[];
  for (const [i, n] of add.entries()) into[i] = (into[i] ?? 0) + n;
}

/** Rows grouped by `keyOf`, with counts and percentiles, busiest (by total time) first. */
function summarize(rows: Row[], keyOf: (r: Row) => string): LatencySummary[] {
  const groups = new Map<
    string,
    { name: string; label: string; count: number; errors: number; sumMs: number; bytes: number; buckets: number[] }
  >();
  for (const r of rows) {
    const key = keyOf(r);
    let g = groups.get(key);
    if (!g) {
      const [name = "", label = ""] = key.split("\u0000");
      g = { name, label, count: 0, errors: 0, sumMs: 0, bytes: 0, buckets: emptyBuckets() };
      groups.set(key, g);
    }
    g.count += r.count;
    g.errors += r.errors;
    g.sumMs += r.sum_ms;
    g.bytes += r.bytes;
    addBuckets(g.buckets, r.buckets);
  }
  return [...groups.values()]
    .sort((a, b) => b.sumMs - a.sumMs || b.count - a.count)
    .map((g) => ({
      name: g.name,
      label: g.label,
      count: g.count,
      errors: g.errors,
      p50: quantile(g.buckets, 0.5),
      p95: quantile(g.buckets, 0.95),
      bytes: g.bytes,
    }));
}
