import { Link } from "react-router";
import { z } from "zod";
import { PageHeader } from "~/components/app-shell";
import { LineChart } from "~/components/line-chart";
import { formatBytes, formatRelative } from "~/lib/format";
import type { AlertView } from "~/lib/metrics";
import { notFound } from "~/server/http/responses.server";
import { isOperator, operatorPinned } from "~/server/metrics/metrics.server";
import { operationsView } from "~/server/metrics/operations.server";
import type { LatencySummary } from "~/server/metrics/store.server";
import { getServices, requireUser } from "~/server/request.server";
import type { Route } from "./+types/operations";

export const meta: Route.MetaFunction = () => [{ title: "Operations — LoreSmith AI" }];

const windowSchema = z.enum(["hour", "day"]).catch("hour");

export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const { db, operations } = getServices(context);
  if (!isOperator(operations.operators, user)) notFound();
  const window = windowSchema.parse(new URL(request.url).searchParams.get("window"));
  const view = await operationsView(operations, db, window);
  return {
    ...view,
    pinned: operatorPinned(operations.operators, user),
    pinEntry: `${user.username}@${user.id}`,
    now: Date.now(),
  };
}

const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
const percent = (v: number) => `${Math.round(v * 100)}%`;
const count = (v: number) => Math.round(v).toLocaleString("en");

export default function Operations({ loaderData }: Route.ComponentProps) {
  const { dashboard: d, history, stored, webhookConfigured, pinned, pinEntry, now } = loaderData;
  const time = (at: number) =>
    new Date(at).toLocaleTimeString("en", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: "UTC" });
  const windowName = d.window === "hour" ? "last hour, per minute" : "last day, per 15 minutes";
  return (
    <>
      <PageHeader title="Operations">
        <p>How this deployment behaves: requests, D1, KV, R2, ingestion and Durable Objects ({windowName}, UTC).</p>
      </PageHeader>
      <nav aria-label="Time window" className="mb-6 flex gap-2">
        {(["hour", "day"] as const).map((w) => (
          <Link
            key={w}
            to={`?window=${w}`}
            aria-current={d.window === w ? "page" : undefined}
            className="rounded-md border border-stone-300 px-3 py-1.5 text-sm aria-[current=page]:border-ember-700 aria-[current=page]:bg-ember-700 aria-[current=page]:text-white"
          >
            Last {w}
          </Link>
        ))}
      </nav>
      {pinned ? null : (
        <p className="mb-6 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          You are an operator by username alone. If this account is ever deleted, whoever takes the name next would be
          one too: set <code className="break-all">OPERATOR_USERNAMES</code> to{" "}
          <code className="break-all">{pinEntry}</code> to pin it to this account.
        </p>
      )}

      <section aria-labelledby="alerts-heading" className="mb-8">
        <h2 id="alerts-heading" className="mb-3 font-serif text-xl font-semibold">
          Alerts
        </h2>
        <ul className="grid gap-3 sm:grid-cols-2">
          {d.alerts.map((alert) => (
            <AlertCard key={alert.rule} alert={alert} now={now} webhookConfigured={webhookConfigured} />
          ))}
        </ul>
        <p className="mt-3 text-sm text-stone-700">
          Evaluated by the cron every 5 minutes.{" "}
          {webhookConfigured
            ? "Each firing is posted once to ALERT_WEBHOOK_URL."
            : "Set the ALERT_WEBHOOK_URL secret to be told of each firing."}
        </p>
        {history.length ? (
          <details className="mt-3 text-sm">
            <summary className="cursor-pointer">Recent firings ({history.length})</summary>
            <ul className="mt-2 space-y-1">
              {history.map((h) => (
                <li key={`${h.rule}-${h.firedAt}`}>
                  {d.alerts.find((a) => a.rule === h.rule)?.title}: fired {formatRelative(h.firedAt, now)}
                  {h.clearedAt ? `, cleared ${formatRelative(h.clearedAt, now)}` : ", still firing"}
                </li>
              ))}
            </ul>
          </details>
        ) : null}
      </section>

      <Section id="requests" title="Requests">
        <LineChart
          title="Request latency"
          format={ms}
          formatTime={time}
          lines={[
            { label: "p50", points: d.requests.p50, className: "text-sky-700" },
            { label: "p95", points: d.requests.p95, className: "text-ember-700" },
          ]}
        />
        <LineChart
          title="Error rate (5xx)"
          format={percent}
          formatTime={time}
          yMax={1}
          lines={[{ label: "errors", points: d.requests.errorRate, className: "text-red-700" }]}
        />
        <Summary caption="Busiest routes" nameHeader="Route" rows={d.requests.routes} labelHeader="Status" />
      </Section>

      <Section id="d1" title="D1">
        <LineChart
          title="D1 statement latency"
          format={ms}
          formatTime={time}
          lines={[
            { label: "p50", points: d.d1.p50, className: "text-sky-700" },
            { label: "p95", points: d.d1.p95, className: "text-ember-700" },
          ]}
        />
        <LineChart
          title="p95 of the busiest statements"
          format={ms}
          formatTime={time}
          lines={d.d1.busiest.map((st, i) => ({
            label: st.name,
            points: st.p95,
            className: ["text-ember-700", "text-sky-700", "text-violet-700"][i] ?? "text-stone-700",
          }))}
        />
        <Summary caption="Statements, by total time" nameHeader="Statement" rows={d.d1.statements} />
      </Section>

      <Section id="kv" title="KV">
        <LineChart
          title="KV hit rate"
          format={percent}
          formatTime={time}
          yMax={1}
          lines={[{ label: "hit rate", points: d.kv.hitRate, className: "text-emerald-700" }]}
        />
        <HitTable caption="Reads by namespace" nameHeader="Namespace" rows={d.kv.namespaces} />
        <HitTable caption="Read models (cache-aside in CACHE)" nameHeader="Model" rows={d.kv.readModels} />
      </Section>

      <Section id="r2" title="R2">
        <LineChart
          title="Bytes stored"
          format={(v) => formatBytes(Math.round(v))}
          formatTime={time}
          lines={[{ label: "stored", points: d.r2.bytesStored, className: "text-violet-700" }]}
        />
        <div>
          <h3 className="mb-2 font-medium">
            {stored.users.length
              ? `Stored per user: ${formatBytes(stored.total)} in all, the ${stored.users.length} largest`
              : "Stored per user: no files stored yet"}
          </h3>
          <ul className="space-y-2 text-sm">
            {stored.users.map((u) => (
              <li key={u.username}>
                <div className="flex justify-between gap-3">
                  <span className="break-all">{u.username}</span>
                  <span className="tabular-nums">{formatBytes(u.bytes)}</span>
                </div>
                <div className="mt-1 h-2 rounded bg-stone-200" aria-hidden="true">
                  <div
                    className="h-2 rounded bg-violet-700"
                    style={{ width: `${stored.total ? Math.max(1, (100 * u.bytes) / stored.total) : 0}%` }}
                  />
                </div>
              </li>
            ))}
          </ul>
        </div>
        <Summary caption="Operations" nameHeader="Operation" rows={d.r2.operations} showBytes />
      </Section>

      <Section id="ingestion" title="Ingestion">
        <LineChart
          title="Throughput"
          format={count}
          formatTime={time}
          lines={[
            { label: "pages read", points: d.ingest.pages, className: "text-sky-700" },
            { label: "chunks indexed", points: d.ingest.chunks, className: "text-emerald-700" },
          ]}
        />
        <LineChart
          title="Failed steps"
          format={count}
          formatTime={time}
          lines={[{ label: "failures", points: d.ingest.failures, className: "text-red-700" }]}
        />
        <Summary caption="Steps" nameHeader="Step" rows={d.ingest.steps} />
      </Section>

      <Section id="durable-objects" title="Durable Objects">
        <LineChart
          title="Storage of all Durable Objects"
          format={(v) => formatBytes(Math.round(v))}
          formatTime={time}
          lines={[{ label: "total", points: d.durableObjects.totalBytes, className: "text-violet-700" }]}
        />
        <MetricTable
          caption="The largest, as last reported"
          nameHeader="Object"
          rows={d.durableObjects.largest}
          nameOf={(o) => o.object}
          columns={[
            { header: "Storage", cell: (o) => formatBytes(o.bytes) },
            { header: "Reported", cell: (o) => formatRelative(o.at, now) },
          ]}
          empty="No Durable Object has reported its storage yet."
        />
      </Section>
    </>
  );
}

function AlertCard({ alert, now, webhookConfigured }: { alert: AlertView; now: number; webhookConfigured: boolean }) {
  const value = (v: number | null) =>
    v === null ? "no data" : alert.unit === "bytes" ? formatBytes(v) : alert.unit === "ms" ? ms(v) : count(v);
  return (
    <li
      className={`rounded-lg border p-4 ${alert.firing ? "border-red-400 bg-red-50" : "border-stone-300 bg-white"}`}
      data-alert={alert.rule}
    >
      <p className="font-medium">{alert.title}</p>
      <p className={`text-sm font-semibold ${alert.firing ? "text-red-800" : "text-emerald-800"}`}>
        {alert.firing ? `Firing since ${formatRelative(alert.since ?? now, now)}` : "OK"}
      </p>
      <p className="text-sm text-stone-700">
        {alert.firing ? `${value(alert.value)} — ` : ""}threshold {value(alert.threshold)}
      </p>
      {alert.firing && webhookConfigured ? (
        <p className="text-sm text-stone-700">{alert.notified ? "Posted to the webhook." : "Not posted yet."}</p>
      ) : null}
    </li>
  );
}

/** Reads by KV namespace or read model, with their hit rate. */
function HitTable({
  caption,
  nameHeader,
  rows,
}: {
  caption: string;
  nameHeader: string;
  rows: (LatencySummary & { hits: number })[];
}) {
  return (
    <MetricTable
      caption={caption}
      nameHeader={nameHeader}
      rows={rows}
      nameOf={(n) => n.name}
      columns={[
        { header: "Reads", cell: (n) => count(n.count) },
        { header: "Hit rate", cell: (n) => (n.count ? percent(n.hits / n.count) : "—") },
        ...percentileColumns,
      ]}
      empty="Nothing read in this window."
    />
  );
}

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <section aria-labelledby={`${id}-heading`} className="mb-8">
      <h2 id={`${id}-heading`} className="mb-3 font-serif text-xl font-semibold">
        {title}
      </h2>
      <div className="grid gap-4 lg:grid-cols-2">{children}</div>
    </section>
  );
}

/** Counts, errors and percentiles of routes, statements, operations or steps, across the section. */
function Summary({
  caption,
  nameHeader,
  labelHeader,
  rows,
  showBytes = false,
}: {
  caption: string;
  nameHeader: string;
  labelHeader?: string;
  rows: LatencySummary[];
  showBytes?: boolean;
}) {
  const columns: Column<LatencySummary>[] = [
    ...(labelHeader ? [{ header: labelHeader, cell: (r: LatencySummary) => r.label, text: true }] : []),
    { header: "Count", cell: (r) => count(r.count) },
    { header: "Errors", cell: (r) => count(r.errors) },
    ...percentileColumns,
    ...(showBytes ? [{ header: "Bytes", cell: (r: LatencySummary) => formatBytes(r.bytes) }] : []),
  ];
  return (
    <MetricTable
      caption={caption}
      nameHeader={nameHeader}
      rows={rows}
      nameOf={(r) => r.name}
      keyOf={(r) => `${r.name} ${r.label}`}
      columns={columns}
      empty="Nothing recorded in this window."
      wide
    />
  );
}

const percentileColumns: Column<Pick<LatencySummary, "p50" | "p95">>[] = [
  { header: "p50", cell: (r) => (r.p50 === null ? "—" : ms(r.p50)) },
  { header: "p95", cell: (r) => (r.p95 === null ? "—" : ms(r.p95)) },
];

interface Column<T> {
  header: string;
  cell: (row: T) => React.ReactNode;
  /** A word (left-aligned) rather than a number. */
  text?: boolean;
}

/** A table of named rows: the name as the row header, then one cell per column. */
function MetricTable<T>({
  caption,
  nameHeader,
  rows,
  nameOf,
  keyOf = nameOf,
  columns,
  empty,
  wide = false,
}: {
  caption: string;
  nameHeader: string;
  rows: T[];
  nameOf: (row: T) => string;
  keyOf?: (row: T) => string;
  columns: Column<T>[];
  empty: string;
  /** Spans both columns of the section's grid. */
  wide?: boolean;
}) {
  return (
    <div className={`min-w-0 overflow-x-auto ${wide ? "lg:col-span-2" : ""}`}>
      <table className="w-full text-left text-sm">
        <caption className="mb-2 text-left text-stone-700">{caption}</caption>
        <thead>
          <tr className="border-stone-300 border-b">
            <Th>{nameHeader}</Th>
            {columns.map((c) => (
              <Th key={c.header} right={!c.text}>
                {c.header}
              </Th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length ? (
            rows.map((row) => (
              <tr key={keyOf(row)} className="border-stone-200 border-b last:border-0">
                <th scope="row" className="break-words py-1.5 pr-3 font-normal">
                  {nameOf(row)}
                </th>
                {columns.map((c) =>
                  c.text ? (
                    <td key={c.header} className="py-1.5 pr-3">
                      {c.cell(row)}
                    </td>
                  ) : (
                    <Td key={c.header}>{c.cell(row)}</Td>
                  ),
                )}
              </tr>
            ))
          ) : (
            <tr>
              <td colSpan={columns.length + 1} className="py-2 text-stone-700">
                {empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function Th({ children, right = false }: { children: React.ReactNode; right?: boolean }) {
  return (
    <th scope="col" className={`py-2 pr-3 font-medium ${right ? "text-right" : ""}`}>
      {children}
    </th>
  );
}

function Td({ children }: { children: React.ReactNode }) {
  return <td className="whitespace-nowrap py-1.5 pr-3 text-right tabular-nums">{children}</td>;
}
