import { type PointerEvent, useEffect, useRef, useState } from "react";
import type { RelationEndKind } from "~/lib/relations";

export interface GraphView {
  width: number;
  height: number;
  nodes: { key: string; kind: RelationEndKind; name: string; href: string; x: number; y: number }[];
  edges: { id: number; from: string; to: string; label: string; symmetric: boolean }[];
  totalNodes: number;
  edgesLeftOut: number;
}

/** Edge labels are drawn while they stay readable; past this many they are each edge's tooltip. */
const MAX_EDGE_LABELS = 200;
const ZOOMS = [0.5, 0.75, 1, 1.5, 2] as const;

const shorten = (text: string, max = 24) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The relations graph: an SVG laid out on the server, in a box that scrolls both ways
 * (touch pans it natively, without JavaScript). With JavaScript, a mouse drags it too and
 * buttons zoom. Every node is a link to its entry or character.
 */
export function RelationGraph({ graph }: { graph: GraphView }) {
  const box = useRef<HTMLElement>(null);
  const drag = useRef<{ x: number; y: number; left: number; top: number } | null>(null);
  const [zoom, setZoom] = useState(1);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => {
    setHydrated(true);
    // Start in the middle of the picture, where the best connected are.
    const el = box.current;
    if (el) {
      el.scrollLeft = (el.scrollWidth - el.clientWidth) / 2;
      el.scrollTop = (el.scrollHeight - el.clientHeight) / 2;
    }
  }, []);
  const at = new Map(graph.nodes.map((node) => [node.key, node]));
  const labels = graph.edges.length <= MAX_EDGE_LABELS;

  const onPointerDown = (event: PointerEvent<HTMLElement>) => {
    // Touch and pens scroll the box natively; a mouse drags it.
    if (event.pointerType !== "mouse" || event.button !== 0 || !box.current) return;
    if ((event.target as Element).closest("a")) return;
    drag.current = { x: event.clientX, y: event.clientY, left: box.current.scrollLeft, top: box.current.scrollTop };
    box.current.setPointerCapture(event.pointerId);
  };
  const onPointerMove = (event: PointerEvent<HTMLElement>) => {
    if (!drag.current || !box.current) return;
    box.current.scrollLeft = drag.current.left - (event.clientX - drag.current.x);
    box.current.scrollTop = drag.current.top - (event.clientY - drag.current.y);
  };
  const onPointerUp = () => {
    drag.current = null;
  };
  const zoomBy = (step: number) => {
    const index = ZOOMS.indexOf(zoom as (typeof ZOOMS)[number]);
    const next = ZOOMS[Math.min(ZOOMS.length - 1, Math.max(0, index + step))] ?? 1;
    const el = box.current;
    if (el) {
      // Keep the middle of the view in the middle.
      const cx = (el.scrollLeft + el.clientWidth / 2) / zoom;
      const cy = (el.scrollTop + el.clientHeight / 2) / zoom;
      requestAnimationFrame(() => {
        el.scrollLeft = cx * next - el.clientWidth / 2;
        el.scrollTop = cy * next - el.clientHeight / 2;
      });
    }
    setZoom(next);
  };

  return (
    <figure className="space-y-2">
      {hydrated ? (
        <div className="flex items-center gap-2">
          <button
            type="button"
            onClick={() => zoomBy(-1)}
            disabled={zoom === ZOOMS[0]}
            className="min-h-11 min-w-11 rounded-md border border-stone-400 bg-white font-semibold disabled:opacity-50"
            aria-label="Zoom out"
          >
            −
          </button>
          <button
            type="button"
            onClick={() => zoomBy(1)}
            disabled={zoom === ZOOMS.at(-1)}
            className="min-h-11 min-w-11 rounded-md border border-stone-400 bg-white font-semibold disabled:opacity-50"
            aria-label="Zoom in"
          >
            +
          </button>
          <span className="text-sm text-stone-700" aria-live="polite">
            {Math.round(zoom * 100)}%
          </span>
        </div>
      ) : null}
      <section
        ref={box}
        data-testid="relation-graph"
        aria-label="Relations graph (scroll or drag to pan)"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a box that scrolls is focusable, so that a keyboard can scroll it.
        tabIndex={0}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        className="h-[60vh] max-h-[36rem] min-h-72 w-full cursor-grab overflow-auto overscroll-contain rounded-lg border border-stone-300 bg-stone-50 active:cursor-grabbing"
      >
        <svg
          width={Math.round(graph.width * zoom)}
          height={Math.round(graph.height * zoom)}
          viewBox={`0 0 ${graph.width} ${graph.height}`}
          className="block select-none"
          aria-labelledby="relation-graph-title"
        >
          <title id="relation-graph-title">
            Relations graph: {graph.nodes.length} entries and characters, {graph.edges.length} relations
          </title>
          <defs>
            <marker
              id="relation-arrow"
              viewBox="0 0 10 10"
              refX="18"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#78716c" />
            </marker>
          </defs>
          <g>
            {graph.edges.map((edge) => {
              const a = at.get(edge.from);
              const b = at.get(edge.to);
              if (!a || !b) return null;
              return (
                <line
                  key={edge.id}
                  x1={a.x}
                  y1={a.y}
                  x2={b.x}
                  y2={b.y}
                  stroke="#a8a29e"
                  strokeWidth={1.5}
                  markerEnd={edge.symmetric ? undefined : "url(#relation-arrow)"}
                >
                  <title>
                    {a.name} — {edge.label} — {b.name}
                  </title>
                </line>
              );
            })}
          </g>
          {labels ? (
            <g fontSize={11} fill="#57534e">
              {graph.edges.map((edge) => {
                const a = at.get(edge.from);
                const b = at.get(edge.to);
                if (!a || !b) return null;
                // Beside the line's middle: above a flat line, to the right of a steep one.
                const [dx, dy] = [b.x - a.x, b.y - a.y];
                const length = Math.hypot(dx, dy) || 1;
                const steep = Math.abs(dy) > Math.abs(dx);
                return (
                  <text
                    key={edge.id}
                    x={(a.x + b.x) / 2 + (steep ? 6 : 0)}
                    y={(a.y + b.y) / 2 + (steep ? 4 : -4 - Math.abs((6 * dy) / length))}
                    textAnchor={steep ? "start" : "middle"}
                    stroke="#fafaf9"
                    strokeWidth={3}
                    paintOrder="stroke"
                  >
                    {shorten(edge.label, 20)}
                  </text>
                );
              })}
            </g>
          ) : null}
          <g>
            {graph.nodes.map((node) => (
              <a key={node.key} href={node.href} className="group">
                <title>
                  {node.name} ({node.kind === "character" ? "character" : "entry"})
                </title>
                {node.kind === "character" ? (
                  <circle cx={node.x} cy={node.y} r={9} fill="#c2410c" stroke="#fff" strokeWidth={2} />
                ) : (
                  <rect
                    x={node.x - 8}
                    y={node.y - 8}
                    width={16}
                    height={16}
                    rx={3}
                    fill="#44403c"
                    stroke="#fff"
                    strokeWidth={2}
                  />
                )}
                <text
                  x={node.x}
                  y={node.y + 24}
                  fontSize={13}
                  fontWeight={600}
                  textAnchor="middle"
                  fill="#1c1917"
                  stroke="#fafaf9"
                  strokeWidth={4}
                  paintOrder="stroke"
                  className="group-hover:underline group-focus:underline"
                >
                  {shorten(node.name)}
                </text>
              </a>
            ))}
          </g>
        </svg>
      </section>
      <figcaption className="text-sm text-stone-700">
        <span className="mr-3 inline-flex items-center gap-1">
          <svg width="14" height="14" aria-hidden="true">
            <circle cx="7" cy="7" r="6" fill="#c2410c" />
          </svg>
          Character
        </span>
        <span className="mr-3 inline-flex items-center gap-1">
          <svg width="14" height="14" aria-hidden="true">
            <rect x="1" y="1" width="12" height="12" rx="2" fill="#44403c" />
          </svg>
          Entry
        </span>
        Read an arrow as a sentence: Duke → member of → Silver Hand. Drag or swipe the picture to move around it.
        {labels ? "" : " There are too many relations to label each: hover or tap one, or read the list."}
        {graph.totalNodes > graph.nodes.length
          ? ` The graph shows the ${graph.nodes.length} best-connected of ${graph.totalNodes} related entries and characters; the list has them all.`
          : ""}
        {graph.edgesLeftOut > 0 ? ` ${graph.edgesLeftOut} relations are not drawn; the list has them.` : ""}
      </figcaption>
    </figure>
  );
}
