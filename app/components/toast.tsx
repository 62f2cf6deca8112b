import { useEffect, useState } from "react";
import { useRouteLoaderData } from "react-router";
import type { loader as rootLoader } from "~/root";

/** Shows the one-shot message a redirect carried ("Campaign saved."), politely announced. */
export function ToastMessage() {
  const latest = useRouteLoaderData<typeof rootLoader>("root")?.toast;
  // Kept until it times out or is dismissed: a reload moments later (a live change in the
  // campaign room) answers without the one-shot message and must not wipe it off the screen.
  const [toast, setToast] = useState(latest);
  if (latest && latest.id !== toast?.id) setToast(latest);
  const [dismissed, setDismissed] = useState<string | null>(null);
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setDismissed(toast.id), 6_000);
    return () => clearTimeout(timer);
  }, [toast]);
  if (!toast || dismissed === toast.id) return null;
  return (
    <div
      role="status"
      className="fixed inset-x-4 bottom-4 z-30 mx-auto flex max-w-md items-center justify-between gap-3 rounded-lg border border-green-300 bg-green-50 p-3 text-green-900 shadow-lg"
    >
      <span>{toast.message}</span>
      <button
        type="button"
        onClick={() => setDismissed(toast.id)}
        className="min-h-11 min-w-11 rounded-md px-2 font-medium hover:bg-green-100"
        aria-label="Dismiss message"
      >
        ✕
      </button>
    </div>
  );
}
