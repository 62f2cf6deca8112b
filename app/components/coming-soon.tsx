import type { ReactNode } from "react";
import { PageHeader } from "./app-shell";

/** A signed-in page whose feature is still being built: says what will be here. */
export function ComingSoon({ title, summary, points }: { title: string; summary: ReactNode; points: string[] }) {
  return (
    <>
      <PageHeader title={title}>{summary}</PageHeader>
      <section aria-labelledby="coming" className="rounded-lg border border-stone-300 border-dashed bg-white p-5">
        <h2 id="coming" className="font-semibold">
          Coming to this page
        </h2>
        <ul className="mt-2 list-disc space-y-1 pl-5 text-stone-700">
          {points.map((point) => (
            <li key={point}>{point}</li>
          ))}
        </ul>
      </section>
    </>
  );
}
