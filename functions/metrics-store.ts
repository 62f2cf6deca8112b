import { DurableObject } from "cloudflare:workers";
import { emptySample, type MetricSample } from "../app/lib/metrics";
import {
  type AlertThresholds,
  type Dashboard,
  MetricsTables,
  OBJECT_STORAGE_GAUGE,
  type Window,
} from "../app/server/metrics/store.server";

/**
 * One for the deployment (named "global"; ADR 0030): the per-minute aggregates the
 * operations page, `/metrics` and the alerts read back, in SQLite storage. Requests and
 * alarms hand it their samples once each, after their response (`waitUntil`).
 */
export class MetricsStore extends DurableObject<Env> {
  private readonly tables: MetricsTables;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.tables = new MetricsTables(ctx.storage.sql);
  }

  record(samples: MetricSample[]): void {
    this.tables.record([
      ...samples,
      // Its own database is one of the Durable Objects an operator watches.
      {
        ...emptySample("gauge", OBJECT_STORAGE_GAUGE, "MetricsStore"),
        count: 1,
        value: this.ctx.storage.sql.databaseSize,
      },
    ]);
  }

  dashboard(window: Window, thresholds: AlertThresholds): Dashboard {
    return this.tables.dashboard(window, thresholds);
  }

  totals() {
    return this.tables.totals();
  }

  history() {
    return this.tables.history();
  }

  evaluateAlerts(thresholds: AlertThresholds) {
    return this.tables.evaluate(thresholds);
  }

  alertNotified(rule: Parameters<MetricsTables["notified"]>[0], since: number): void {
    this.tables.notified(rule, since);
  }

  alertNotifyFailed(rule: Parameters<MetricsTables["notifyFailed"]>[0], since: number): void {
    this.tables.notifyFailed(rule, since);
  }
}
