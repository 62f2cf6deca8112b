/**
 * Markdown rendered and sanitized on the server (app/server/markdown.server.ts); the
 * browser only receives safe HTML, never the Markdown toolchain.
 */
export function MarkdownView({ html, empty = "Nothing written yet." }: { html: string; empty?: string }) {
  if (!html.trim()) return <p className="text-stone-600 italic">{empty}</p>;
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by rehype-sanitize on the server.
  return <div className="prose-lore" dangerouslySetInnerHTML={{ __html: html }} />;
}
