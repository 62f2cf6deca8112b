import { type ReactNode, useEffect, useId, useState } from "react";
import { Button } from "./ui/button";
import { inputClass } from "./ui/field";

/**
 * A secret shown this once (an API token, a webhook signing secret): in a read-only field
 * anyone can select and copy by hand, with a Copy button once JavaScript runs.
 */
export function ShownOnce({
  title,
  label,
  value,
  children,
}: {
  title: string;
  /** What the field holds ("API token"). */
  label: string;
  value: string;
  children?: ReactNode;
}) {
  const id = useId();
  const [hydrated, setHydrated] = useState(false);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  useEffect(() => setHydrated(true), []);
  return (
    <div role="status" className="space-y-3 rounded-md border border-amber-400 bg-amber-50 p-4">
      <p className="font-semibold">{title}</p>
      <p className="text-stone-800">
        <strong>Copy it now: you will not see it again.</strong> LoreSmith AI does not keep a copy it can show you; if
        you lose it, make a new one.
      </p>
      <div className="space-y-1">
        <label htmlFor={id} className="block font-medium text-sm">
          {label}
        </label>
        <textarea
          id={id}
          readOnly
          value={value}
          rows={value.length > 80 ? 4 : 2}
          spellCheck={false}
          autoComplete="off"
          className={`${inputClass} field-sizing-content resize-none break-all font-mono text-sm`}
          onFocus={(event) => event.currentTarget.select()}
        />
      </div>
      {/* Without JavaScript there is nothing to click: the field above is selectable by hand. */}
      {hydrated ? (
        <div className="flex flex-wrap items-center gap-3">
          <Button
            type="button"
            variant="secondary"
            onClick={async () => {
              try {
                await navigator.clipboard.writeText(value);
                setCopied("yes");
              } catch {
                setCopied("failed");
              }
            }}
          >
            Copy
            <span className="sr-only"> {label}</span>
          </Button>
          <span aria-live="polite" className="text-sm text-stone-800">
            {copied === "yes"
              ? "Copied to the clipboard."
              : copied === "failed"
                ? "This browser would not copy it: select the text above and copy it yourself."
                : null}
          </span>
        </div>
      ) : null}
      {children ? <div className="text-sm text-stone-800">{children}</div> : null}
    </div>
  );
}
