import { type RefObject, useEffect } from "react";
import { useNavigate } from "react-router";

/**
 * Client-side navigation for the plain `<a href>` links inside `container`, through one
 * click listener instead of a `<Link>` each. For long lists: on the server a `<Link>`
 * costs about 35 µs to render, and the campaign overview's 60 of them were most of what
 * made it slower than an empty campaign (bench/README.md). Without JavaScript, and for a
 * modified click (new tab, download), the anchors behave as anchors.
 */
export function useDelegatedLinks(container: RefObject<HTMLElement | null>): void {
  const navigate = useNavigate();
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const onClick = (event: MouseEvent) => {
      if (
        event.defaultPrevented ||
        event.button !== 0 ||
        event.metaKey ||
        event.ctrlKey ||
        event.shiftKey ||
        event.altKey
      ) {
        return;
      }
      const anchor = event.target instanceof Element ? event.target.closest("a") : null;
      if (!anchor || !element.contains(anchor) || anchor.target || anchor.hasAttribute("download")) return;
      const url = new URL(anchor.href);
      if (url.origin !== window.location.origin) return;
      event.preventDefault();
      navigate(url.pathname + url.search + url.hash);
    };
    element.addEventListener("click", onClick);
    return () => element.removeEventListener("click", onClick);
  }, [container, navigate]);
}
