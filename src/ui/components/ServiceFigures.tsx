import { ApiError, describeProblem } from "../api";
import { useApp } from "../context";
import { formatDateTime, formatNumber, timeAgo } from "../format";
import { useApiResource } from "../hooks/use-resource";
import { PLATFORM_LABELS, type Health, type Platform, type Stats } from "../types";

const REFRESH_MS = 30_000;

/** Game counts and the last ingestion (/api/stats), and the health check (/health, no key). */
export function ServiceFigures({ statsVersion }: { statsVersion: number }) {
  const { access } = useApp();
  const canRead = access.can("games:read");
  const stats = useApiResource<Stats>(canRead ? "/api/stats" : null, { refreshMs: REFRESH_MS, refreshKey: statsVersion });
  // /health answers 503 with the same body when the database is down.
  const health = useApiResource<Health>("/health", { anonymous: true, okStatuses: [503], refreshMs: REFRESH_MS, refreshKey: statsVersion });
  const healthy = health.data?.status === "ok";
  const unreachable = health.error !== null;
  const healthText = health.error
    ? health.error instanceof ApiError && health.error.status !== 0
      ? `Health unknown: ${describeProblem(health.error)}`
      : "API unreachable"
    : health.data
      ? healthy
        ? `API healthy · database ${Math.round(health.data.checks.db.latencyMs)} ms`
        : "API unavailable: database check failing"
      : "Checking health…";

  return (
    <section class="stats" aria-label="Service figures">
      {!canRead ? (
        <p class="muted small" data-testid="stats-error">
          Figures unavailable: {access.why("games:read")}
        </p>
      ) : stats.data ? (
        <dl>
          <div>
            <dt>Games</dt>
            <dd data-testid="stat-total">{formatNumber(stats.data.games.total)}</dd>
          </div>
          {(Object.keys(stats.data.games.byPlatform) as Platform[]).map((platform) => (
            <div key={platform}>
              <dt>{PLATFORM_LABELS[platform] ?? platform}</dt>
              <dd data-testid={`stat-${platform}`}>{formatNumber(stats.data!.games.byPlatform[platform])}</dd>
            </div>
          ))}
          <div>
            <dt>Last ingestion</dt>
            <dd data-testid="stat-last-ingestion">
              {stats.data.lastIngestionAt ? (
                <time dateTime={stats.data.lastIngestionAt} title={formatDateTime(stats.data.lastIngestionAt)}>
                  {timeAgo(stats.data.lastIngestionAt)}
                </time>
              ) : (
                "never"
              )}
            </dd>
          </div>
        </dl>
      ) : stats.error ? (
        <p class="muted small" data-testid="stats-error">
          Figures unavailable: {describeProblem(stats.error)}
        </p>
      ) : (
        <p class="muted small">Loading figures…</p>
      )}
      <p class={`health ${healthy && !unreachable ? "ok" : health.data || unreachable ? "bad" : ""}`} data-testid="health">
        <span class="dot" aria-hidden="true"></span>
        {healthText}
      </p>
    </section>
  );
}
