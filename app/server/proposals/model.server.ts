import { z } from "zod";
import { MAX_PROPOSAL_EXCERPT, MAX_PROPOSAL_NAME, proposalKinds } from "~/lib/proposals";
import { type ChatMessage, type ChatModel, type ModelDeadlines, withDeadlines } from "../assistant/chat-model.server";
import { type Candidate, cleanName, HEADING_SEPARATOR, type SourcePassage } from "./heuristics.server";

/**
 * The model's share of proposals (ADR 0038), only when a chat model is configured (the
 * composition root's ChatModel, the assistant's): a structured extraction over a bounded
 * sample of the file's passages, its JSON validated with zod, and every name it gives kept
 * only if it appears in the passages it was shown (a model that invents names proposes
 * nothing). Offline this never runs and nothing stands in for it.
 */

export interface ModelBudget {
  /** Calls at most per run. */
  calls: number;
  /** Characters of passages in one call at most. */
  charsPerCall: number;
  /** Characters of one answer read at most (a runaway answer is cut). */
  answerChars: number;
  deadlines: ModelDeadlines;
}

export const MODEL_BUDGET: ModelBudget = {
  calls: 4,
  charsPerCall: 6_000,
  answerChars: 24_000,
  deadlines: { firstTokenMs: 20_000, totalMs: 45_000 },
};

/** Items one answer may hold: a 6,000-character window never names more. */
const MAX_ITEMS = 40;

const answerSchema = z.object({
  items: z
    .array(
      z.object({
        kind: z.enum(proposalKinds),
        name: z.string().trim().min(2).max(MAX_PROPOSAL_NAME),
        summary: z.string().trim().max(MAX_PROPOSAL_EXCERPT).optional(),
      }),
    )
    .max(MAX_ITEMS),
});

const SYSTEM = `You read pages of a tabletop role-playing book and list the named things it describes.
Answer with JSON only, no prose, in exactly this shape:
{"items":[{"kind":"npc","name":"…","summary":"…"}]}
kind is one of: npc (a named person), monster (a creature with game statistics), place (a named location), item (a named object or treasure), faction (a named group or organisation).
name is copied exactly as the text spells it. summary is one short sentence taken from the text.
List at most ${MAX_ITEMS} items. Leave out rules, spells, game terms and anything without a name of its own. If there is nothing, answer {"items":[]}.`;

export interface ModelRun {
  candidates: Candidate[];
  calls: number;
  /** Calls whose answer was not the JSON asked for, timed out or failed. */
  failures: number;
}

/** Windows of consecutive passages of at most `charsPerCall` characters, spread over the whole file. */
export function sampleWindows(passages: SourcePassage[], budget: ModelBudget): SourcePassage[][] {
  const windows: SourcePassage[][] = [];
  let current: SourcePassage[] = [];
  let size = 0;
  for (const passage of passages) {
    const length = Math.min(passage.body.length, budget.charsPerCall);
    if (current.length && size + length > budget.charsPerCall) {
      windows.push(current);
      current = [];
      size = 0;
    }
    current.push(passage);
    size += length;
  }
  if (current.length) windows.push(current);
  if (windows.length <= budget.calls) return windows;
  // Evenly spaced, first and last included: a book's later chapters get their turn.
  const step = (windows.length - 1) / Math.max(1, budget.calls - 1);
  const picked = new Set<number>();
  for (let i = 0; i < budget.calls; i++) picked.add(Math.round(i * step));
  return [...picked].map((i) => windows[i] ?? []);
}

function promptOf(window: SourcePassage[], budget: ModelBudget): ChatMessage[] {
  let text = "";
  for (const passage of window) {
    const where = passage.page ? `page ${passage.page}` : passage.headingPath.join(HEADING_SEPARATOR) || "text";
    text += `\n[${where}]\n${passage.body.slice(0, budget.charsPerCall)}\n`;
  }
  return [
    { role: "system", content: SYSTEM },
    { role: "user", content: text.slice(0, budget.charsPerCall + 2_000) },
  ];
}

/** The first `{…}` of an answer (models wrap JSON in prose or fences), parsed and validated; null if it is not. */
export function parseAnswer(answer: string): z.output<typeof answerSchema> | null {
  const start = answer.indexOf("{");
  const end = answer.lastIndexOf("}");
  if (start < 0 || end <= start) return null;
  try {
    const parsed = answerSchema.safeParse(JSON.parse(answer.slice(start, end + 1)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Asks the model about each sampled window; never throws (a failed call counts as a failure). */
export async function modelCandidates(
  model: ChatModel,
  passages: SourcePassage[],
  budget: ModelBudget = MODEL_BUDGET,
): Promise<ModelRun> {
  const run: ModelRun = { candidates: [], calls: 0, failures: 0 };
  for (const window of sampleWindows(passages, budget)) {
    run.calls++;
    let answer = "";
    try {
      for await (const token of withDeadlines(model, promptOf(window, budget), budget.deadlines)) {
        answer += token;
        if (answer.length > budget.answerChars) break;
      }
    } catch (error) {
      console.warn("proposal extraction call failed:", error);
      run.failures++;
      continue;
    }
    const parsed = parseAnswer(answer);
    if (!parsed) {
      run.failures++;
      continue;
    }
    for (const item of parsed.items) {
      const name = cleanName(item.name);
      if (!name) continue;
      // Kept only where the text shows it: the page or heading is that passage's.
      const lower = name.toLowerCase();
      const source = window.find((passage) => passage.body.toLowerCase().includes(lower));
      if (!source) continue;
      run.candidates.push({
        kind: item.kind,
        name,
        excerpt: (item.summary ?? "").slice(0, MAX_PROPOSAL_EXCERPT),
        page: source.page,
        heading: source.headingPath.join(HEADING_SEPARATOR),
        passage: source.index,
        origin: "model",
      });
    }
  }
  return run;
}
