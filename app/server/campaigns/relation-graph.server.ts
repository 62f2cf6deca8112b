import { isSymmetric, MAX_GRAPH_EDGES, MAX_GRAPH_NODES, relationLabel } from "~/lib/relations";
import type { Db } from "../db/db.server";
import type { CampaignReader } from "./policy.server";
import { endHref, listCampaignRelations, type RelationEnd, type RelationView } from "./relations.server";

/**
 * The campaign's relations view (ADR 0036): a graph laid out on the server, the same for
 * the same relations every time, and the same relations as text, grouped by entry or
 * character. Built only from what listCampaignRelations lets the reader see: a hidden
 * relation or end is no node, edge, line or count here.
 */

export interface GraphNode {
  key: string;
  kind: RelationEnd["kind"];
  id: number;
  name: string;
  href: string;
  x: number;
  y: number;
}

export interface GraphEdge {
  id: number;
  from: string;
  to: string;
  label: string;
  /** Read the same from both ends (no arrow). */
  symmetric: boolean;
}

export interface RelationLine {
  id: number;
  label: string;
  other: { kind: RelationEnd["kind"]; name: string; href: string };
  note: string;
  gmOnly: boolean;
}

export interface RelationGroup {
  key: string;
  kind: RelationEnd["kind"];
  name: string;
  href: string;
  lines: RelationLine[];
}

export const keyOf = (end: RelationEnd) => `${end.kind}:${end.id}`;

/** Lines the list shows a page (whole groups; a group longer than this is one page of its own). */
export const LIST_PAGE_LINES = 400;

/**
 * A force-directed layout (Fruchterman–Reingold) from a deterministic start: nodes on a
 * sunflower spiral in the order given (best connected first), a fixed number of rounds
 * with a cooling step, pulled gently to the centre so separate clusters stay near. No
 * randomness: the same graph always gets the same picture. The rounds are bounded so a
 * graph of MAX_GRAPH_NODES costs a few million pair steps.
 */
export function layoutGraph(
  count: number,
  links: [number, number][],
  { width, height, budget = 4_000_000 }: { width: number; height: number; budget?: number },
): { x: number; y: number }[] {
  if (count === 0) return [];
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  const golden = Math.PI * (3 - Math.sqrt(5));
  const spread = Math.min(width, height) / 2;
  for (let i = 0; i < count; i += 1) {
    const r = spread * Math.sqrt((i + 0.5) / count);
    x[i] = width / 2 + r * Math.cos(i * golden);
    y[i] = height / 2 + r * Math.sin(i * golden);
  }
  const k = 0.9 * Math.sqrt((width * height) / count);
  const rounds = Math.max(30, Math.min(300, Math.floor(budget / (count * count))));
  const dx = new Float64Array(count);
  const dy = new Float64Array(count);
  let temperature = width / 8;
  const cooling = temperature / (rounds + 1);
  for (let round = 0; round < rounds; round += 1) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < count; i += 1) {
      for (let j = i + 1; j < count; j += 1) {
        let ex = (x[i] ?? 0) - (x[j] ?? 0);
        let ey = (y[i] ?? 0) - (y[j] ?? 0);
        let d2 = ex * ex + ey * ey;
        if (d2 < 0.01) {
          // Two nodes on one spot: part them along a direction fixed by their indices.
          ex = Math.cos(i + j);
          ey = Math.sin(i + j);
          d2 = 1;
        }
        const push = (k * k) / d2;
        dx[i] = (dx[i] ?? 0) + ex * push;
        dy[i] = (dy[i] ?? 0) + ey * push;
        dx[j] = (dx[j] ?? 0) - ex * push;
        dy[j] = (dy[j] ?? 0) - ey * push;
      }
    }
    for (const [a, b] of links) {
      const ex = (x[a] ?? 0) - (x[b] ?? 0);
      const ey = (y[a] ?? 0) - (y[b] ?? 0);
      const d = Math.sqrt(ex * ex + ey * ey) || 1;
      const pull = d / k;
      dx[a] = (dx[a] ?? 0) - ex * pull;
      dy[a] = (dy[a] ?? 0) - ey * pull;
      dx[b] = (dx[b] ?? 0) + ex * pull;
      dy[b] = (dy[b] ?? 0) + ey * pull;
    }
    for (let i = 0; i < count; i += 1) {
      // Gravity towards the centre, so that clusters without links between them stay near.
      const gx = (x[i] ?? 0) - width / 2;
      const gy = (y[i] ?? 0) - height / 2;
      const fx = (dx[i] ?? 0) - (gx * 0.05 * k) / spread;
      const fy = (dy[i] ?? 0) - (gy * 0.05 * k) / spread;
      const d = Math.sqrt(fx * fx + fy * fy);
      if (d > 0) {
        const step = Math.min(d, temperature) / d;
        x[i] = (x[i] ?? 0) + fx * step;
        y[i] = (y[i] ?? 0) + fy * step;
      }
    }
    temperature = Math.max(temperature - cooling, 1);
  }
  // Fit into the canvas, leaving room for labels at the edges.
  const padX = Math.min(90, width / 4);
  const padY = Math.min(40, height / 4);
  const [minX, maxX] = [Math.min(...x), Math.max(...x)];
  const [minY, maxY] = [Math.min(...y), Math.max(...y)];
  const place = (value: number, min: number, max: number, size: number, pad: number) =>
    max - min < 1 ? size / 2 : pad + ((value - min) / (max - min)) * (size - 2 * pad);
  return Array.from({ length: count }, (_, i) => ({
    x: Math.round(place(x[i] ?? 0, minX, maxX, width, padX)),
    y: Math.round(place(y[i] ?? 0, minY, maxY, height, padY)),
  }));
}

/** The canvas for `count` nodes: roomier as they grow, never narrower than a phone. */
export function canvasFor(count: number) {
  return {
    width: Math.max(480, Math.round(220 * Math.sqrt(count))),
    height: Math.max(360, Math.round(160 * Math.sqrt(count))),
  };
}

interface Ends {
  key: string;
  kind: RelationEnd["kind"];
  id: number;
  name: string;
  degree: number;
}

const byName = (a: { name: string; key: string }, b: { name: string; key: string }) =>
  a.name.localeCompare(b.name, "en", { sensitivity: "base" }) || a.key.localeCompare(b.key);

/** The graph and the grouped list of every relation the reader sees; the list from group `listFrom` on. */
export function buildRelationsView(campaignId: string, relations: RelationView[], listFrom = 0) {
  const ends = new Map<string, Ends>();
  for (const relation of relations) {
    for (const end of [relation.from, relation.to]) {
      const key = keyOf(end);
      const seen = ends.get(key);
      if (seen) seen.degree += 1;
      else ends.set(key, { key, kind: end.kind, id: end.id, name: end.name, degree: 1 });
    }
  }
  // The best connected are drawn (and start in the middle of the spiral); ties by name, then kind and id.
  const ranked = [...ends.values()].sort((a, b) => b.degree - a.degree || byName(a, b));
  const drawn = ranked.slice(0, MAX_GRAPH_NODES);
  const index = new Map(drawn.map((node, i) => [node.key, i]));
  const between = relations.filter((r) => index.has(keyOf(r.from)) && index.has(keyOf(r.to)));
  const edges = between.slice(0, MAX_GRAPH_EDGES);
  const canvas = canvasFor(drawn.length);
  const positions = layoutGraph(
    drawn.length,
    edges.map((r) => [index.get(keyOf(r.from)) ?? 0, index.get(keyOf(r.to)) ?? 0]),
    canvas,
  );
  const nodes: GraphNode[] = drawn.map((node, i) => ({
    key: node.key,
    kind: node.kind,
    id: node.id,
    name: node.name,
    href: endHref(campaignId, node),
    x: positions[i]?.x ?? 0,
    y: positions[i]?.y ?? 0,
  }));

  const groups = new Map<string, RelationGroup>();
  const line = (relation: RelationView, side: "from" | "to") => {
    const here = side === "from" ? relation.from : relation.to;
    const other = side === "from" ? relation.to : relation.from;
    const key = keyOf(here);
    let group = groups.get(key);
    if (!group) {
      group = { key, kind: here.kind, name: here.name, href: endHref(campaignId, here), lines: [] };
      groups.set(key, group);
    }
    group.lines.push({
      id: relation.id,
      label: relationLabel(relation, side),
      other: { kind: other.kind, name: other.name, href: endHref(campaignId, other) },
      note: relation.note,
      gmOnly: relation.audience === "gm",
    });
  };
  for (const relation of relations) {
    line(relation, "from");
    line(relation, "to");
  }
  const sortedGroups = [...groups.values()].sort(byName);
  for (const group of sortedGroups) {
    group.lines.sort(
      (a, b) => a.label.localeCompare(b.label) || a.other.name.localeCompare(b.other.name) || a.id - b.id,
    );
  }
  const start = Math.min(Math.max(0, listFrom), Math.max(0, sortedGroups.length - 1));
  let end = start;
  let lines = 0;
  while (
    end < sortedGroups.length &&
    (end === start || lines + (sortedGroups[end]?.lines.length ?? 0) <= LIST_PAGE_LINES)
  ) {
    lines += sortedGroups[end]?.lines.length ?? 0;
    end += 1;
  }
  return {
    graph: {
      ...canvas,
      nodes,
      edges: edges.map(
        (r): GraphEdge => ({
          id: r.id,
          from: keyOf(r.from),
          to: keyOf(r.to),
          label: relationLabel(r, "from"),
          symmetric: isSymmetric(r.type),
        }),
      ),
      /** Everything related, and how many of them the graph leaves out. */
      totalNodes: ranked.length,
      edgesLeftOut: relations.length - edges.length,
    },
    list: {
      groups: sortedGroups.slice(start, end),
      totalGroups: sortedGroups.length,
      from: start,
      next: end < sortedGroups.length ? end : null,
      previous: start > 0 ? previousPageStart(sortedGroups, start) : null,
    },
    totalRelations: relations.length,
  };
}

/** Where the page before the one starting at `start` starts (pages are filled forwards from 0). */
function previousPageStart(groups: RelationGroup[], start: number): number {
  let begin = 0;
  while (begin < start) {
    let end = begin;
    let lines = 0;
    while (end < groups.length && (end === begin || lines + (groups[end]?.lines.length ?? 0) <= LIST_PAGE_LINES)) {
      lines += groups[end]?.lines.length ?? 0;
      end += 1;
    }
    if (end >= start) return begin;
    begin = end;
  }
  return 0;
}

export async function relationsView(db: Db, reader: CampaignReader, listFrom = 0) {
  return buildRelationsView(reader.campaign.id, await listCampaignRelations(db, reader), listFrom);
}
export type RelationsView = ReturnType<typeof buildRelationsView>;
