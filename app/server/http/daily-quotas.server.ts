import { sql } from "drizzle-orm";
import { formatBytes } from "~/lib/format";
import type { Db } from "../db/db.server";
import { Refusal } from "./responses.server";

/**
 * Daily quotas per account (ADR 0032): questions to the assistant, bytes uploaded, and API
 * calls, each counted on the account's row for the UTC day by one conditional upsert — the
 * check and the count are one statement, so two requests cannot both take the last unit.
 * The app's pages and the API charge the same counters. A new day is a new row: the quota
 * resets at midnight UTC, and the cron removes rows older than yesterday.
 */
export const dailyQuotaKinds = ["apiCalls", "questions", "uploadBytes"] as const;
export type DailyQuotaKind = (typeof dailyQuotaKinds)[number];
export type DailyQuotas = Record<DailyQuotaKind, number>;
export type DailyUsage = Record<DailyQuotaKind, number>;

const COLUMNS: Record<DailyQuotaKind, string> = {
  apiCalls: "api_calls",
  questions: "questions",
  uploadBytes: "upload_bytes",
};

export const DEFAULT_DAILY_QUOTAS: DailyQuotas = { apiCalls: 10_000, questions: 200, uploadBytes: 2 * 1024 ** 3 };

/** From the DAILY_* vars; one that is unset or not a positive number keeps its default. */
export function configuredDailyQuotas(
  env: Pick<Env, "DAILY_API_CALLS" | "DAILY_QUESTIONS" | "DAILY_UPLOAD_BYTES">,
): DailyQuotas {
  const value = (raw: string | undefined, fallback: number) => {
    const n = Number(raw);
    return Number.isSafeInteger(n) && n > 0 ? n : fallback;
  };
  return {
    apiCalls: value(env.DAILY_API_CALLS, DEFAULT_DAILY_QUOTAS.apiCalls),
    questions: value(env.DAILY_QUESTIONS, DEFAULT_DAILY_QUOTAS.questions),
    uploadBytes: value(env.DAILY_UPLOAD_BYTES, DEFAULT_DAILY_QUOTAS.uploadBytes),
  };
}

/** "2026-12-03": the UTC day `now` falls in. */
export function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Whole seconds until the next UTC midnight (at least 1): when a spent quota is back. */
export function secondsUntilReset(now: number): number {
  const tomorrow = new Date(now);
  tomorrow.setUTCHours(24, 0, 0, 0);
  return Math.max(1, Math.ceil((tomorrow.getTime() - now) / 1000));
}

export interface QuotaCharge {
  kind: DailyQuotaKind;
  limit: number;
  /** Used today, this charge included when it was taken. */
  used: number;
  resetSeconds: number;
}

export class DailyQuotaExceeded extends Refusal {
  override name = "DailyQuotaExceeded";
  constructor(readonly charge: QuotaCharge) {
    super(quotaMessage(charge), 429, quotaExceededHeaders(charge));
  }
}

function quotaMessage({ kind, limit, resetSeconds }: QuotaCharge): string {
  const back = resetSeconds > 3600 ? `in about ${Math.round(resetSeconds / 3600)} hours` : "within the hour";
  switch (kind) {
    case "questions":
      return `You asked the assistant ${limit.toLocaleString("en")} questions today, the most one account may. Search still works; questions are back ${back} (midnight UTC).`;
    case "uploadBytes":
      return `You uploaded ${formatBytes(limit)} today, the most one account may in a day. Upload the rest ${back} (after midnight UTC).`;
    case "apiCalls":
      return `This account made ${limit.toLocaleString("en")} API calls today, the most it may. Calls are accepted again ${back} (midnight UTC).`;
  }
}

/**
 * Counts `amount` against the account's quota of `kind` for today, or throws
 * DailyQuotaExceeded (a 429; nothing counted) when it would go past the day's limit.
 */
export async function chargeDailyQuota(
  { db, dailyQuotas }: { db: Db; dailyQuotas: DailyQuotas },
  accountId: string,
  kind: DailyQuotaKind,
  amount = 1,
  now = Date.now(),
): Promise<QuotaCharge> {
  const limit = dailyQuotas[kind];
  const column = sql.raw(COLUMNS[kind]);
  const day = utcDay(now);
  const rows = await db.all<{ used: number }>(sql`
    INSERT INTO daily_usage (user_id, day, ${column}) SELECT ${accountId}, ${day}, ${amount} WHERE ${amount} <= ${limit}
    ON CONFLICT (user_id, day) DO UPDATE SET ${column} = ${column} + excluded.${column}
      WHERE ${column} + excluded.${column} <= ${limit}
    RETURNING ${column} AS used`);
  const resetSeconds = secondsUntilReset(now);
  const [row] = rows;
  if (!row) {
    const usage = await dailyUsage(db, accountId, now);
    throw new DailyQuotaExceeded({ kind, limit, used: usage[kind], resetSeconds });
  }
  return { kind, limit, used: row.used, resetSeconds };
}

/**
 * Runs `work` with `amount` charged to today's quota of `kind`, and gives it back when the
 * work is refused (an upload that is too large, a duplicate): only what was done counts.
 */
export async function withDailyQuota<T>(
  stores: { db: Db; dailyQuotas: DailyQuotas },
  accountId: string,
  kind: DailyQuotaKind,
  amount: number,
  work: () => Promise<T>,
  now = Date.now(),
): Promise<T> {
  await chargeDailyQuota(stores, accountId, kind, amount, now);
  try {
    return await work();
  } catch (error) {
    const column = sql.raw(COLUMNS[kind]);
    await stores.db
      .run(
        sql`UPDATE daily_usage SET ${column} = max(0, ${column} - ${amount}) WHERE user_id = ${accountId} AND day = ${utcDay(now)}`,
      )
      .catch(() => undefined);
    throw error;
  }
}

/** What the account used today (zeros for a day with no row yet). */
export async function dailyUsage(db: Db, accountId: string, now = Date.now()): Promise<DailyUsage> {
  const [row] = await db.all<{ api_calls: number; questions: number; upload_bytes: number }>(
    sql`SELECT api_calls, questions, upload_bytes FROM daily_usage WHERE user_id = ${accountId} AND day = ${utcDay(now)}`,
  );
  return { apiCalls: row?.api_calls ?? 0, questions: row?.questions ?? 0, uploadBytes: row?.upload_bytes ?? 0 };
}

/** The quota as IETF RateLimit fields: `"daily-api-calls";q=10000;w=86400` and what remains until it resets. */
export function quotaHeaders(charge: QuotaCharge): Record<string, string> {
  const name = `daily-${COLUMNS[charge.kind].replaceAll("_", "-")}`;
  const remaining = Math.max(0, charge.limit - charge.used);
  return {
    "RateLimit-Policy": `"${name}";q=${charge.limit};w=86400`,
    RateLimit: `"${name}";r=${remaining};t=${charge.resetSeconds}`,
  };
}

/** The 429 of a spent quota: the message, Retry-After until midnight UTC, the RateLimit fields. */
export function quotaExceededHeaders(charge: QuotaCharge): Record<string, string> {
  return { ...quotaHeaders({ ...charge, used: charge.limit }), "Retry-After": String(charge.resetSeconds) };
}

/** Rows of days before yesterday (the cron): today's and yesterday's are all anyone reads. */
export async function pruneDailyUsage(db: Db, now = Date.now()): Promise<number> {
  const rows = await db.all<{ day: string }>(
    sql`DELETE FROM daily_usage WHERE day < ${utcDay(now - 86_400_000)} RETURNING day`,
  );
  return rows.length;
}
