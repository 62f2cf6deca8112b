import { z } from "zod";
import { Refusal } from "../../http/responses.server";

/**
 * Cursor pagination for every /api/v1 list: `?limit=&cursor=`, answered as
 * `{ data, nextCursor }`. A cursor is the last row's sort key, opaque (base64url JSON)
 * and validated when it comes back; lists sort by creation, so rows added while a client
 * pages through appear at the end instead of shifting pages.
 */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25).describe("Rows per page, 1–100."),
  cursor: z.string().max(200).optional().describe("`nextCursor` of the previous page."),
});

const cursorSchema = z.tuple([z.number().int(), z.union([z.string().max(64), z.number().int()])]);
export type Cursor = z.infer<typeof cursorSchema>;

export function encodeCursor(key: Cursor): string {
  return btoa(JSON.stringify(key)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string | undefined): Cursor | null {
  if (!cursor) return null;
  try {
    const json = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    return cursorSchema.parse(JSON.parse(json));
  } catch {
    throw new Refusal("That cursor is not one this API gave out. Start again without a cursor.", 400);
  }
}

/** `rows` fetched with limit + 1: the page, and the cursor of its last row when there is more. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => Cursor) {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  const last = data.at(-1);
  return { data, nextCursor: more && last ? encodeCursor(keyOf(last)) : null };
}

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    nextCursor: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page."),
  });
