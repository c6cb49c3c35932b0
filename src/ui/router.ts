// Hash routing (#/games, #/games/12/edit, #/ingest, #/ingest/runs/3): the Worker serves one
// index.html and needs no SPA fallback. Query parameters after the path hold search criteria,
// never the API key.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { name: "games"; params: URLSearchParams }
  | { name: "new-game" }
  | { name: "edit-game"; id: number }
  | { name: "ingest"; params: URLSearchParams }
  | { name: "run"; id: number }
  | { name: "not-found"; path: string };

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/games";
  const [path = "/", query = ""] = raw.split("?", 2);
  const params = new URLSearchParams(query);
  if (path === "/" || path === "/games") return { name: "games", params };
  if (path === "/games/new") return { name: "new-game" };
  let match = path.match(/^\/games\/(\d+)\/edit$/);
  if (match) return { name: "edit-game", id: Number(match[1]) };
  if (path === "/ingest") return { name: "ingest", params };
  match = path.match(/^\/ingest\/runs\/(\d+)$/);
  if (match) return { name: "run", id: Number(match[1]) };
  return { name: "not-found", path };
}

export function href(path: string, params?: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {})) if (value) query.set(name, value);
  const qs = query.toString();
  return `#${path}${qs ? `?${qs}` : ""}`;
}

export function navigate(to: string): void {
  if (location.hash === to) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = to;
}

export function useRoute(): [Route, string] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return [parseRoute(hash), hash];
}
