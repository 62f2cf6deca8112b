/**
 * How much of a quota is used, as a bar whose fill is in proportion (a sliver for any use at
 * all); the figures and the percentage are the text it is labelled by.
 */
export function UsageBar({ used, quota, labelledBy }: { used: number; quota: number; labelledBy: string }) {
  return (
    <progress
      aria-labelledby={labelledBy}
      className="usage-bar mt-1"
      max={quota}
      value={Math.min(used, quota)}
      data-used={used > 0 ? "" : undefined}
    />
  );
}
