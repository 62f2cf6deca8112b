import { useId } from "react";
import type { SeriesPoint } from "~/lib/metrics";

export interface ChartLine {
  label: string;
  points: SeriesPoint[];
  /** A Tailwind stroke class. */
  className: string;
}

const WIDTH = 600;
const HEIGHT = 160;
const PAD = { top: 8, right: 8, bottom: 22, left: 52 };

/**
 * A small line chart drawn on the server as SVG (no script, no charting library in the
 * bundle): a title, the lines, a y axis with the maximum, the time at both ends, and the
 * same numbers as a table for screen readers and anyone who wants them.
 */
export function LineChart({
  title,
  lines,
  format,
  formatTime,
  yMax,
}: {
  title: string;
  lines: ChartLine[];
  format: (value: number) => string;
  formatTime: (at: number) => string;
  /** A fixed top of the scale (1 for rates); else the largest value. */
  yMax?: number;
}) {
  const id = useId();
  const values = lines.flatMap((l) => l.points.map((p) => p.value)).filter((v): v is number => v !== null);
  const top = yMax ?? Math.max(0, ...values);
  const scale = top > 0 ? top : 1;
  const first = lines[0]?.points ?? [];
  const span = Math.max(1, first.length - 1);
  const x = (i: number) => PAD.left + ((WIDTH - PAD.left - PAD.right) * i) / span;
  const y = (v: number) => PAD.top + (HEIGHT - PAD.top - PAD.bottom) * (1 - v / scale);
  const latest = (l: ChartLine) => [...l.points].reverse().find((p) => p.value !== null)?.value ?? null;
  const summary = values.length
    ? lines
        .map((l) => {
          const last = latest(l);
          const max = Math.max(...l.points.map((p) => p.value ?? 0));
          return `${l.label}: latest ${last === null ? "none" : format(last)}, highest ${format(max)}`;
        })
        .join("; ")
    : "no data yet";

  return (
    <figure className="min-w-0 rounded-lg border border-stone-300 bg-white p-4" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`} className="font-medium">
        {title}
      </figcaption>
      <ul className="mt-1 flex flex-wrap gap-x-4 text-sm text-stone-700">
        {lines.map((l) => {
          const last = latest(l);
          return (
            <li key={l.label} className="flex items-center gap-1.5">
              <svg aria-hidden="true" width="14" height="4" className={l.className}>
                <line x1="0" y1="2" x2="14" y2="2" strokeWidth="3" stroke="currentColor" />
              </svg>
              {l.label}: {last === null ? "—" : format(last)}
            </li>
          );
        })}
      </ul>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="mt-2 h-auto w-full"
        role="img"
        aria-label={`${title}: ${summary}`}
        preserveAspectRatio="none"
      >
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} className="stroke-stone-400" strokeWidth="1" />
        <line
          x1={PAD.left}
          x2={WIDTH - PAD.right}
          y1={y(scale)}
          y2={y(scale)}
          className="stroke-stone-200"
          strokeWidth="1"
        />
        <text x={PAD.left - 6} y={y(scale) + 4} textAnchor="end" className="fill-stone-700 text-[11px]">
          {format(top)}
        </text>
        <text x={PAD.left - 6} y={y(0) + 4} textAnchor="end" className="fill-stone-700 text-[11px]">
          {format(0)}
        </text>
        {first.length ? (
          <>
            <text x={PAD.left} y={HEIGHT - 6} className="fill-stone-700 text-[11px]">
              {formatTime(first[0]?.at ?? 0)}
            </text>
            <text x={WIDTH - PAD.right} y={HEIGHT - 6} textAnchor="end" className="fill-stone-700 text-[11px]">
              now
            </text>
          </>
        ) : null}
        {lines.map((l) => (
          <path
            key={l.label}
            d={pathOf(l.points, x, y)}
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
            vectorEffect="non-scaling-stroke"
            className={l.className}
          />
        ))}
      </svg>
      <details className="mt-2 text-sm">
        <summary className="cursor-pointer text-stone-700">Data</summary>
        <div className="max-h-64 overflow-auto">
          <table className="mt-1 w-full text-left">
            <thead>
              <tr>
                <th scope="col" className="pr-3 font-medium">
                  From
                </th>
                {lines.map((l) => (
                  <th key={l.label} scope="col" className="pr-3 text-right font-medium">
                    {l.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {first.map((p, i) =>
                lines.every((l) => l.points[i]?.value === null) ? null : (
                  <tr key={p.at}>
                    <th scope="row" className="pr-3 font-normal">
                      {formatTime(p.at)}
                    </th>
                    {lines.map((l) => {
                      const v = l.points[i]?.value ?? null;
                      return (
                        <td key={l.label} className="pr-3 text-right tabular-nums">
                          {v === null ? "—" : format(v)}
                        </td>
                      );
                    })}
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** Segments through the points that have values; a gap (no data) breaks the line. */
function pathOf(points: SeriesPoint[], x: (i: number) => number, y: (v: number) => number): string {
  let d = "";
  let drawing = false;
  points.forEach((p, i) => {
    if (p.value === null) {
      drawing = false;
      return;
    }
    d += `${drawing ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`;
    drawing = true;
  });
  // A lone point is a dot.
  return d.replace(/M([\d.]+),([\d.]+)(?=M|$)/g, "M$1,$2h0.1");
}
