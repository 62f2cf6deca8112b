import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { Refusal } from "../http/responses.server";
import type { Db } from "./db.server";

/**
 * Row quotas (ADR 0018): a per-account limit on rows a person can create, checked and
 * written in ONE statement (`INSERT … SELECT … WHERE count < limit`), so concurrent
 * creates cannot pass it together.
 */

/** How many of each an account may hold (vars MAX_CAMPAIGNS … in wrangler.toml override these). */
export interface RowLimits {
  campaigns: number;
  entries: number;
  characters: number;
  conversations: number;
  messages: number;
}

/** Far above what a busy GM writes in years, far below what would hurt a shared database. */
export const DEFAULT_ROW_LIMITS: RowLimits = {
  campaigns: 200,
  entries: 20_000,
  characters: 10_000,
  conversations: 2_000,
  messages: 50_000,
};

/** A create refused because the account holds the most of these it may. */
export class QuotaExceeded extends Refusal {
  override name = "QuotaExceeded";
  constructor(message: string) {
    super(message, 409);
  }
}

/**
 * The column list and the bound values of an `INSERT … SELECT` of `values` into `table`
 * (the columns given, each value encoded as its column stores it); the rest take their defaults.
 */
export function insertColumns<T extends SQLiteTable>(table: T, values: Partial<T["$inferInsert"]>) {
  const given = Object.entries(getTableColumns(table)).filter(
    ([key]) => (values as Record<string, unknown>)[key] !== undefined,
  );
  return {
    names: sql.join(
      given.map(([, column]) => sql.identifier(column.name)),
      sql`, `,
    ),
    params: sql.join(
      given.map(([key, column]) => sql`${sql.param((values as Record<string, unknown>)[key], column)}`),
      sql`, `,
    ),
  };
}

/**
 * Inserts `values` only while `count` (an SQL scalar) is below `limit`; answers the new
 * row, or undefined when the quota is full. Columns left out take their SQL defaults.
 */
export async function insertWithinQuota<T extends SQLiteTable>(
  db: Db,
  table: T,
  values: Partial<T["$inferInsert"]>,
  count: SQL,
  limit: number,
): Promise<T["$inferSelect"] | undefined> {
  const columns = Object.entries(getTableColumns(table));
  const { names, params } = insertColumns(table, values);
  const rows = await db.all<Record<string, unknown>>(
    sql`INSERT INTO ${table} (${names}) SELECT ${params} WHERE ${count} < ${limit} RETURNING *`,
  );
  const [row] = rows;
  if (!row) return undefined;
  // Back from SQLite's names and encodings (JSON, booleans) to the table's own.
  return Object.fromEntries(
    columns.map(([key, column]) => [
      key,
      row[column.name] === null ? null : column.mapFromDriverValue(row[column.name]),
    ]),
  ) as T["$inferSelect"];
}
