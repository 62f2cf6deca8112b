/** Formatting shared by server and browser; fixed locale and time zone so both agree. */

export function formatDate(isoDate: string): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return isoDate;
  return date.toLocaleDateString("en", { dateStyle: "medium", timeZone: "UTC" });
}

/** "just now", "5 minutes ago", "3 days ago", then a date. `now` comes from the loader. */
export function formatRelative(ms: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? "" : "s"} ago`;
  const days = Math.round(hours / 24);
  if (days < 30) return `${days} day${days === 1 ? "" : "s"} ago`;
  return new Date(ms).toLocaleDateString("en", { dateStyle: "medium", timeZone: "UTC" });
}

/** A share of a whole as a percentage to show: "0%", "under 1%", "37%", "100%". */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0 || part <= 0) return "0%";
  const percent = Math.min(100, (100 * part) / whole);
  if (percent < 1) return "under 1%";
  return `${Math.round(percent)}%`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A file's size, and what it takes in storage when that differs (a text file stored compressed): "12.4 KB (3.1 KB stored)". */
export function formatStoredBytes(bytes: number, storedBytes: number | null): string {
  if (storedBytes === null || storedBytes === bytes) return formatBytes(bytes);
  return `${formatBytes(bytes)} (${formatBytes(storedBytes)} stored)`;
}
