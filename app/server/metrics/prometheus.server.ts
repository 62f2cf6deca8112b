import { LATENCY_BUCKETS_MS, type MetricKind } from "~/lib/metrics";
import type { Totals } from "./store.server";

/** How each kind of sample is named in Prometheus, and what its name and label are called there. */
const FAMILIES: Record<Exclude<MetricKind, "gauge">, { metric: string; help: string; labels: [string, string] }> = {
  request: {
    metric: "loresmith_request_duration_seconds",
    help: "Requests by route and status, until the headers.",
    labels: ["route", "status"],
  },
  d1: {
    metric: "loresmith_d1_statement_duration_seconds",
    help: "D1 statements by name (verb and table).",
    labels: ["statement", ""],
  },
  kv: {
    metric: "loresmith_kv_operation_duration_seconds",
    help: "KV operations by namespace and result (hit, miss, put, delete).",
    labels: ["namespace", "result"],
  },
  cache: {
    metric: "loresmith_read_model_duration_seconds",
    help: "Reads through the read-model cache (ADR 0029) by model and result (hit, miss).",
    labels: ["model", "result"],
  },
  r2: { metric: "loresmith_r2_operation_duration_seconds", help: "R2 operations.", labels: ["operation", ""] },
  ingest: { metric: "loresmith_ingest_step_duration_seconds", help: "Ingestion steps by kind.", labels: ["step", ""] },
};

/**
 * The running totals in the Prometheus text exposition format (version 0.0.4): a
 * histogram per kind, error and byte counters, and the gauges (ADR 0030).
 */
export function prometheusText(totals: { series: Totals[]; objects: { object: string; bytes: number }[] }): string {
  const lines: string[] = [];
  for (const [kind, family] of Object.entries(FAMILIES) as [Exclude<MetricKind, "gauge">, (typeof FAMILIES)["d1"]][]) {
    const series = totals.series.filter((s) => s.kind === kind && !(kind === "ingest" && s.label !== ""));
    lines.push(`# HELP ${family.metric} ${family.help}`, `# TYPE ${family.metric} histogram`);
    for (const s of series) {
      const labels = labelsOf(family.labels, s);
      let cumulative = 0;
      for (const [i, bound] of LATENCY_BUCKETS_MS.entries()) {
        cumulative += s.buckets[i] ?? 0;
        lines.push(`${family.metric}_bucket{${labels}le="${bound / 1000}"} ${cumulative}`);
      }
      lines.push(`${family.metric}_bucket{${labels}le="+Inf"} ${s.count}`);
      lines.push(`${family.metric}_sum{${trim(labels)}} ${s.sumMs / 1000}`);
      lines.push(`${family.metric}_count{${trim(labels)}} ${s.count}`);
    }
    const errors = family.metric.replace(/_duration_seconds$/, "_errors_total");
    lines.push(`# HELP ${errors} Failed ${kind} operations.`, `# TYPE ${errors} counter`);
    for (const s of series) lines.push(`${errors}{${trim(labelsOf(family.labels, s))}} ${s.errors}`);
  }
  lines.push("# HELP loresmith_r2_bytes_total Bytes R2 operations moved.", "# TYPE loresmith_r2_bytes_total counter");
  for (const s of totals.series.filter((t) => t.kind === "r2")) {
    lines.push(`loresmith_r2_bytes_total{operation="${escapeLabel(s.name)}"} ${s.bytes}`);
  }
  lines.push(
    "# HELP loresmith_ingest_units_total Pages read and chunks indexed by ingestion.",
    "# TYPE loresmith_ingest_units_total counter",
  );
  for (const s of totals.series.filter((t) => t.kind === "ingest" && t.label !== "")) {
    lines.push(`loresmith_ingest_units_total{step="${escapeLabel(s.name)}",unit="${escapeLabel(s.label)}"} ${s.bytes}`);
  }
  const gauge = (name: string) => totals.series.find((t) => t.kind === "gauge" && t.name === name)?.value;
  lines.push(
    "# HELP loresmith_r2_bytes_stored Bytes of every stored file version.",
    "# TYPE loresmith_r2_bytes_stored gauge",
  );
  lines.push(`loresmith_r2_bytes_stored ${gauge("r2_bytes_stored") ?? 0}`);
  lines.push(
    "# HELP loresmith_durable_object_storage_bytes A Durable Object's SQLite database size (the 50 largest).",
    "# TYPE loresmith_durable_object_storage_bytes gauge",
  );
  for (const o of totals.objects)
    lines.push(`loresmith_durable_object_storage_bytes{object="${escapeLabel(o.object)}"} ${o.bytes}`);
  return `${lines.join("\n")}\n`;
}

function labelsOf([nameLabel, labelLabel]: [string, string], s: Totals): string {
  const parts = [`${nameLabel}="${escapeLabel(s.name)}"`];
  if (labelLabel) parts.push(`${labelLabel}="${escapeLabel(s.label)}"`);
  return `${parts.join(",")},`;
}

const trim = (labels: string) => labels.replace(/,$/, "");

/** Label values escape backslash, double quote and line feed. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
