import type { Db } from "../db/db.server";
import { searchDepsFor } from "../search/search.server";
import { chatModelFor } from "./chat-model.server";
import type { AskDeps } from "./conversations.server";

/** The assistant's parts for this environment: search, and the configured model (or none). */
export function askDepsFor(env: Env, db: Db): AskDeps {
  return { db, search: { ...searchDepsFor(env), db }, model: chatModelFor(env) };
}
