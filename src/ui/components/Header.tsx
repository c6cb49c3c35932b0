import { useEffect, useState } from "preact/hooks";
import { ApiError, describeProblem, request } from "../api";
import { formatDateTime, formatNumber, timeAgo } from "../format";
import { maskKey } from "../session";
import { PLATFORM_LABELS, type Health, type Platform, type Stats } from "../types";

const REFRESH_MS = 30_000;

interface Props {
  apiKey: string;
  section: "games" | "ingest" | "other";
  statsVersion: number;
  onForget: () => void;
}

/** Title, navigation, the key in use, and the service figures (/api/stats and /health). */
export function Header({ apiKey, section, statsVersion, onForget }: Props) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [statsError, setStatsError] = useState<unknown>(null);
  const [health, setHealth] = useState<Health | null>(null);
  const [healthError, setHealthError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    let live = true;
    request<Stats>("/api/stats").then(
      (res) => live && (setStats(res.data), setStatsError(null)),
      (error) => live && setStatsError(error),
    );
    // /health answers 503 with the same body when the database is down.
    fetch("/health", { cache: "no-store", credentials: "omit" })
      .then(async (res) => {
        const body = (await res.json()) as Health;
        if (live) (setHealth(body), setHealthError(null));
      })
      .catch(() => live && (setHealth(null), setHealthError("unreachable")));
    return () => {
      live = false;
    };
  }, [statsVersion, tick, apiKey]);

  const healthy = health?.status === "ok";
  const nav = (target: Props["section"], hash: string, label: string) => (
    <a href={hash} aria-current={section === target ? "page" : undefined}>
      {label}
    </a>
  );

  return (
    <header class="topbar">
      <div class="topbar-row">
        <p class="brand">
          <a href="#/games">Game DB</a>
        </p>
        <nav aria-label="Main">
          {nav("games", "#/games", "Games")}
          {nav("ingest", "#/ingest", "Ingestion")}
          <a href="/docs">API docs</a>
        </nav>
        <div class="key-box">
          <span class="muted small">
            Key <code data-testid="key-prefix">{maskKey(apiKey)}</code>
          </span>
          <button type="button" class="small" onClick={onForget}>
            Forget key
          </button>
        </div>
      </div>
      <section class="stats" aria-label="Service figures">
        {stats ? (
          <dl>
            <div>
              <dt>Games</dt>
              <dd data-testid="stat-total">{formatNumber(stats.games.total)}</dd>
            </div>
            {(Object.keys(stats.games.byPlatform) as Platform[]).map((platform) => (
              <div key={platform}>
                <dt>{PLATFORM_LABELS[platform] ?? platform}</dt>
                <dd data-testid={`stat-${platform}`}>{formatNumber(stats.games.byPlatform[platform])}</dd>
              </div>
            ))}
            <div>
              <dt>Last ingestion</dt>
              <dd data-testid="stat-last-ingestion">
                {stats.lastIngestionAt ? (
                  <time dateTime={stats.lastIngestionAt} title={formatDateTime(stats.lastIngestionAt)}>
                    {timeAgo(stats.lastIngestionAt)}
                  </time>
                ) : (
                  "never"
                )}
              </dd>
            </div>
          </dl>
        ) : statsError ? (
          <p class="muted small" data-testid="stats-error">
            Figures unavailable: {statsError instanceof ApiError && statsError.status === 403 ? "this key lacks games:read." : describeProblem(statsError)}
          </p>
        ) : (
          <p class="muted small">Loading figures…</p>
        )}
        <p class={`health ${healthy ? "ok" : health || healthError ? "bad" : ""}`} data-testid="health">
          <span class="dot" aria-hidden="true"></span>
          {health
            ? healthy
              ? `API healthy · database ${Math.round(health.checks.db.latencyMs)} ms`
              : "API unavailable: database check failing"
            : healthError
              ? "API unreachable"
              : "Checking health…"}
        </p>
      </section>
    </header>
  );
}
