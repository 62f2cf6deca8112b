import type { ReactNode } from "react";
import { Link } from "react-router";

/** Centred card for the signed-out forms. */
export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer: ReactNode }) {
  return (
    <main id="main" className="mx-auto flex min-h-dvh max-w-md flex-col justify-center px-4 py-10">
      <Link to="/" className="mb-6 text-center font-serif text-xl font-semibold">
        LoreSmith <span className="text-ember-700">AI</span>
      </Link>
      <div className="rounded-lg border border-stone-300 bg-white p-6 shadow-sm">
        <h1 className="mb-4 font-serif text-2xl font-semibold">{title}</h1>
        {children}
      </div>
      <p className="mt-4 text-center text-stone-700">{footer}</p>
    </main>
  );
}
