import type { ButtonHTMLAttributes } from "react";

const variants = {
  primary: "bg-ember-600 text-white hover:bg-ember-700",
  secondary: "border border-stone-400 bg-white text-ink hover:bg-stone-100",
  danger: "bg-red-700 text-white hover:bg-red-800",
  /** Destructive but not the page's main action: outlined, so it never outweighs the primary one. */
  dangerSecondary: "border border-red-700 bg-white text-red-800 hover:bg-red-50",
  ghost: "text-ink hover:bg-stone-200",
} as const;

/** Touch-sized (44 px) buttons; `pending` keeps the label and says it is working. */
export function Button({
  variant = "primary",
  pending = false,
  className = "",
  children,
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: keyof typeof variants; pending?: boolean }) {
  return (
    <button
      {...props}
      aria-disabled={pending || undefined}
      className={`inline-flex min-h-11 items-center justify-center gap-2 rounded-md px-4 py-2 font-medium disabled:opacity-60 aria-disabled:opacity-70 ${variants[variant]} ${className}`}
    >
      {children}
      {pending ? <span className="sr-only"> (working…)</span> : null}
    </button>
  );
}

/** Links that look like buttons (same 44 px touch target). */
export const linkButtonClass = {
  primary:
    "inline-flex min-h-11 items-center justify-center rounded-md bg-ember-600 px-4 font-medium text-white hover:bg-ember-700",
  secondary:
    "inline-flex min-h-11 items-center justify-center rounded-md border border-stone-400 bg-white px-4 font-medium hover:bg-stone-100",
} as const;
