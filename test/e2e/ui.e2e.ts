// The web UI in headless Chromium against the real local stack (wrangler dev + local S3; see
// global-setup.ts). Scenarios run in order and share one database: sign in → populate →
// status messages → search → create/edit/delete → re-ingestion of a deleted game → failed
// files and retries → scopes → the header following runs → deep pages → keyboard → phone.
// Every wait is on a condition (locators, expect.poll), never a fixed sleep.
import type { Locator, Page, Request as PlaywrightRequest } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openBrowser, screenshot, type Browser } from "./browser";
import { BUCKET, RESULTS_DIR, wrangler } from "./stack";

const { baseUrl, s3Url, persistDir, adminKey } = inject("e2e");
const NEW_FILE_KEY = "daily/2021-12-10/broken.json";
const GOOD_FILE_KEY = "daily/2021-12-09/ios.top100.json";
/** A game of the seeded iOS sample file. */
const SAMPLE_GAME = { name: "Rocket League Sideswipe", platform: "ios", storeId: "1549027048" };

/** Calls the API directly (setup and cross-checks), as the admin. */
async function api<T>(path: string, init: { method?: string; body?: unknown; key?: string } = {}) {
  const res = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? "GET",
    headers: { Authorization: `Bearer ${init.key ?? adminKey}`, ...(init.body ? { "Content-Type": "application/json" } : {}) },
    body: init.body ? JSON.stringify(init.body) : null,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

interface Stats {
  games: { total: number };
  lastIngestionAt: string | null;
}
interface Run {
  id: number;
  inProgress: boolean;
  filesEnqueued: number;
  totals: { recordsSeen: number; recordsUpserted: number; recordsRejected: number; gamesWritten: number };
  files: { key: string; recordsSeen: number | null; recordsUpserted: number | null; recordsRejected: number | null }[];
}

const stats = async () => (await api<Stats>("/api/stats")).body.games.total;
/** Puts an object into the local S3, as the data team would. */
async function putObject(key: string, body: string) {
  const res = await fetch(`${s3Url}/${BUCKET}/${key}`, { method: "PUT", body, headers: { "Content-Type": "application/json" } });
  expect(res.ok, `PUT ${key}`).toBe(true);
}
/** A ranking file in the flat-array layout: one minimal record per game. */
const rankingFile = (games: { name: string; storeId: string }[]) => JSON.stringify(games.map((g) => ({ os: "ios", app_id: Number(g.storeId), name: g.name })));
/** The run, once no file of it is queued or processing. */
async function finishedRun(runId: number): Promise<Run> {
  await poll(async () => (await api<Run>(`/api/ingest/runs/${runId}`)).body.inProgress, 60_000).toBe(false);
  return (await api<Run>(`/api/ingest/runs/${runId}`)).body;
}
const searchByName = async (name: string, platform?: string) =>
  (await api<{ id: number; name: string }[]>(`/api/games/search?${new URLSearchParams({ name, ...(platform ? { platform } : {}) })}`)).body;
const fmt = (n: number) => n.toLocaleString("en");
const poll = <T>(fn: () => Promise<T>, timeout = 30_000) => expect.poll(fn, { timeout, interval: 150 });
const text = (locator: Locator) => locator.innerText();
/** Text including visually hidden parts (e.g. the "Last error:" label). */
const content = async (locator: Locator) => ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();

/** Runs SQL on the stack's local D1, to put the ledger in a state the real pipeline reaches only by chance (an outage, a slow file). */
const d1 = (sql: string) => wrangler(["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--command", sql], `${RESULTS_DIR}/d1-execute.log`);

/** Opens a location of the UI in the signed-in main tab, so a scenario does not depend on where the previous one ended. */
async function open(hash: string) {
  await page.goto(`${baseUrl}/${hash}`);
  await page.getByTestId("key-prefix").waitFor();
}

async function signIn(page: Page, key = adminKey) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Use this key" }).click();
  await page.getByTestId("key-prefix").waitFor();
}

const nav = (page: Page, name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
const fileRow = (scope: Page | Locator, key: string) => scope.locator(`tr[data-file-key="${key}"]`).first();
const gameRow = (page: Page, name: string) => page.locator("table.games tbody tr", { has: page.getByRole("rowheader", { name, exact: true }) });
const noHorizontalScroll = (page: Page) =>
  page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth && document.body.scrollWidth <= window.innerWidth");

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await openBrowser();
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
});

describe("web UI", () => {
  it("asks for the API key once, rejects a wrong one with the API's reason, and keeps it only in sessionStorage", async () => {
    await page.goto(`${baseUrl}/`);
    await page.getByRole("heading", { name: "Sign in with an API key" }).waitFor();

    await page.getByLabel("API key").fill("gdb_not-a-real-key");
    await page.getByRole("button", { name: "Use this key" }).click();
    const error = page.locator("#api-key-error");
    await poll(() => text(error)).toContain("The API key was not accepted");
    expect(await page.getByLabel("API key").getAttribute("aria-invalid")).toBe("true");
    expect(await page.evaluate<string | null>("sessionStorage.getItem('game-db.api-key')")).toBeNull();
    await screenshot(page, "01-key-rejected");

    await page.getByLabel("API key").fill(adminKey);
    await page.getByRole("button", { name: "Use this key" }).click();
    await poll(() => text(page.getByTestId("key-prefix"))).toBe(`${adminKey.slice(0, 12)}…`);
    await poll(() => text(page.getByTestId("stat-total"))).toBe("0");
    await poll(() => text(page.getByTestId("health"))).toContain("API healthy");
    expect(await text(page.getByTestId("announcer"))).toBe("Key accepted and kept for this tab.");
    // The wrong key tried before is not held against the right one.
    expect(await page.locator(".banner").count()).toBe(0);

    expect(await page.evaluate<string | null>("sessionStorage.getItem('game-db.api-key')")).toBe(adminKey);
    expect(await page.evaluate<string | null>("localStorage.getItem('game-db.api-key')")).toBeNull();
    expect(await browser.context.cookies()).toEqual([]);
    expect(page.url()).not.toContain(adminKey);

    // A reload keeps the key for this tab.
    await page.reload();
    await page.getByTestId("key-prefix").waitFor();
    await page.getByRole("heading", { name: "Games", exact: true }).waitFor();
    await poll(() => text(page.getByTestId("games-summary"))).toContain("No games yet");
    await screenshot(page, "02-signed-in-empty");
  });

  it("“Populate now” starts a run that reaches done; its totals add up; the header counts update", async () => {
    await nav(page, "Ingestion").click();
    await page.getByRole("heading", { name: "Ingestion", level: 1 }).waitFor();
    await page.getByText("No runs yet").waitFor();

    await page.getByRole("button", { name: "Populate now" }).click();
    await poll(async () => page.url()).toMatch(/#\/ingest\/runs\/\d+$/);
    await page.getByRole("heading", { name: /^Run #\d+$/ }).waitFor();
    const status = page.getByTestId("run-status");
    await poll(() => status.getAttribute("data-in-progress")).toBe("false");
    await poll(() => text(status)).toContain("Done");
    await poll(() => text(page.getByTestId("run-files-done"))).toBe("2 of 2");
    for (const key of ["daily/2021-12-09/android.top100.json", GOOD_FILE_KEY]) {
      expect(await fileRow(page, key).getAttribute("data-status")).toBe("done");
    }

    // Every record seen is a valid game, a rejected record or a repeat within its file, each shown.
    const runId = Number(page.url().match(/runs\/(\d+)$/)![1]);
    const run = (await api<Run>(`/api/ingest/runs/${runId}`)).body;
    const { recordsSeen: seen, recordsUpserted: valid, recordsRejected: rejected, gamesWritten: written } = run.totals;
    const repeated = seen - valid - rejected;
    expect(repeated, "the samples list some games twice").toBeGreaterThan(0);
    expect(await text(page.getByTestId("run-records"))).toBe(
      `${fmt(seen)} records seen = ${fmt(valid)} valid games + ${fmt(rejected)} rejected + ${fmt(repeated)} repeated within their file (a game listed again in the same file counts once).`,
    );
    expect(await text(page.getByTestId("run-written"))).toContain(`${fmt(written)} games written (new or changed); ${fmt(valid - written)} valid games changed nothing`);
    for (const file of run.files) {
      const row = fileRow(page, file.key);
      expect(await text(row.getByTestId("records-seen"))).toBe(fmt(file.recordsSeen!));
      expect(await text(row.getByTestId("records-valid"))).toBe(fmt(file.recordsUpserted!));
      expect(await text(row.getByTestId("records-rejected"))).toBe(fmt(file.recordsRejected!));
      expect(await text(row.getByTestId("records-repeated"))).toBe(fmt(file.recordsSeen! - file.recordsUpserted! - file.recordsRejected!));
    }

    const total = await stats();
    expect(total).toBeGreaterThan(500);
    await poll(() => text(page.getByTestId("stat-total"))).toBe(fmt(total));
    await poll(() => text(page.getByTestId("stat-last-ingestion"))).not.toBe("never");
    await screenshot(page, "03-run-done");
  });

  it("lists the games page by page, with the number of pages, and keeps the page in the URL", async () => {
    const total = await stats();
    await open("#/games");
    // The games are listed, with the total from X-Total-Count and the number of pages.
    const summary = page.getByTestId("games-summary");
    const pages = Math.ceil(total / 25);
    await poll(() => text(summary)).toBe(`Showing 1–25 of ${fmt(total)} games.`);
    expect(await page.locator("table.games tbody tr").count()).toBe(25);
    expect(await text(page.getByTestId("pager-position"))).toBe(`Page 1 of ${pages}`);
    const firstName = await text(page.locator("table.games tbody tr th").first());
    await page.getByRole("button", { name: "Next page" }).click();
    await poll(() => text(summary)).toBe(`Showing 26–50 of ${fmt(total)} games.`);
    expect(await text(page.getByTestId("pager-position"))).toBe(`Page 2 of ${pages}`);
    const secondName = await text(page.locator("table.games tbody tr th").first());
    expect(secondName).not.toBe(firstName);
    // The page is in the URL: a reload (or a shared link) shows the same page.
    expect(page.url()).toMatch(/#\/games\?page=2$/);
    await page.reload();
    await poll(() => text(summary)).toBe(`Showing 26–50 of ${fmt(total)} games.`);
    expect(await text(page.locator("table.games tbody tr th").first())).toBe(secondName);
    await page.getByRole("button", { name: "Previous page" }).click();
    await poll(() => text(summary)).toBe(`Showing 1–25 of ${fmt(total)} games.`);
    expect(await text(page.locator("table.games tbody tr th").first())).toBe(firstName);
    expect(page.url()).toMatch(/#\/games$/);
    // The browser's Back button goes back a page, like a link.
    await page.goBack();
    await poll(() => text(summary)).toBe(`Showing 26–50 of ${fmt(total)} games.`);
    await page.getByRole("button", { name: "First page" }).click();
    await poll(() => text(summary)).toBe(`Showing 1–25 of ${fmt(total)} games.`);
    await screenshot(page, "04-games-list");
  });

  it("a status message goes away when the user navigates elsewhere", async () => {
    const tab = await browser.context.newPage();
    const announcer = tab.getByTestId("announcer");
    try {
      await signIn(tab);
      await poll(() => text(announcer)).toBe("Key accepted and kept for this tab.");
      await nav(tab, "Ingestion").click();
      await tab.getByRole("heading", { name: "Ingestion", level: 1 }).waitFor();
      expect(await text(announcer)).toBe("");

      // A message announced with a navigation is shown where it leads, until the next one.
      await tab.getByRole("button", { name: "Populate now" }).click();
      await tab.getByRole("heading", { name: /^Run #\d+$/ }).waitFor();
      await poll(() => text(announcer)).toMatch(/^Run #\d+ started: 2 objects listed, 0 files enqueued\.$/);
      await tab.getByRole("link", { name: "All runs" }).click();
      await tab.getByRole("heading", { name: "Ingestion", level: 1 }).waitFor();
      expect(await text(announcer)).toBe("");
    } finally {
      await tab.close();
    }
  });
  it("searches by name and platform, and says when nothing matches", async () => {
    await open("#/games");
    const summary = page.getByTestId("games-summary");
    const expected = await api<unknown[]>("/api/games/search?name=bingo&limit=1");
    const matches = Number(expected.headers.get("X-Total-Count"));
    expect(matches).toBeGreaterThan(0);

    await page.getByLabel("Name contains").fill("bingo");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await poll(() => text(summary)).toContain(`of ${fmt(matches)} games matching “bingo”`);
    const names = await page.locator("table.games tbody tr th").allInnerTexts();
    expect(names.length).toBe(Math.min(matches, 25));
    for (const name of names) expect(name.toLowerCase()).toContain("bingo");
    expect(page.url()).toContain("name=bingo");
    expect(page.url()).not.toContain(adminKey);

    await page.getByLabel("Platform").selectOption("ios");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await poll(() => text(summary)).toContain("matching “bingo” on iOS");
    const platforms = await page.locator('table.games tbody td[data-label="Platform"]').allInnerTexts();
    expect(platforms.length).toBeGreaterThan(0);
    expect(new Set(platforms)).toEqual(new Set(["iOS"]));
    await screenshot(page, "05-search");

    await page.getByLabel("Name contains").fill("zzz-no-such-game");
    await page.getByLabel("Platform").selectOption("");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await poll(() => text(summary)).toBe("No games matching “zzz-no-such-game”.");
    expect(await page.locator("table.games").count()).toBe(0);

    await page.getByRole("button", { name: "Clear" }).click();
    await poll(() => text(summary)).toMatch(/^Showing 1–25 of [\d,]+ games\.$/);
  });

  it("creates a game: the API's field messages appear next to their fields, in the form's order, then the valid game is listed", async () => {
    const before = await stats();
    await open("#/games");
    await page.getByRole("link", { name: "New game" }).click();
    await page.getByRole("heading", { name: "New game" }).waitFor();

    // Nothing filled in: one message per empty required field, although the API also reports the
    // store id's format.
    await page.getByRole("button", { name: "Create game" }).click();
    const summary = page.getByTestId("form-errors");
    await poll(() => summary.locator("li").allInnerTexts()).toEqual(["Name: must not be empty", "Store ID: must not be empty"]);
    expect(await text(page.locator("#game-storeId-error"))).toBe("must not be empty");

    await page.getByLabel("Name (required)").fill("E2E Test Game");
    await page.getByLabel("Platform (required)").selectOption("ios");
    await page.getByLabel("Store ID (required)").fill("not-a-number");
    await page.getByLabel("Icon URL").fill("ftp://example.com/icon.png");
    await page.getByRole("button", { name: "Create game" }).click();

    // The same body straight to the API: the UI must show exactly its messages.
    const problem = await api<{ errors: { path: string; message: string }[] }>("/api/games", {
      method: "POST",
      body: {
        name: "E2E Test Game",
        platform: "ios",
        storeId: "not-a-number",
        bundleId: null,
        publisherId: null,
        publisherName: null,
        appVersion: null,
        iconUrl: "ftp://example.com/icon.png",
        rank: null,
        isPublished: true,
      },
    });
    expect(problem.status).toBe(400);

    await poll(() => summary.locator("li").first().innerText()).toMatch(/^Store ID: /);
    expect(await summary.getAttribute("role")).toBe("alert");
    // The API lists iconUrl first; the summary follows the form, where Store ID comes first.
    expect(problem.body.errors.map((e) => e.path)).toEqual(["iconUrl", "storeId"]);
    expect(await summary.locator("li").allInnerTexts()).toEqual(["Store ID: " + problem.body.errors[1]!.message, "Icon URL: " + problem.body.errors[0]!.message]);
    await poll(() => summary.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    for (const { path, message } of problem.body.errors) {
      const fieldError = page.locator(`#game-${path}-error`);
      expect(await text(fieldError)).toBe(message);
      const input = page.locator(`#game-${path}`);
      expect(await input.getAttribute("aria-invalid")).toBe("true");
      expect(await input.getAttribute("aria-describedby")).toContain(`game-${path}-error`);
      // Next to its field: inside the same form group as the input.
      expect(await fieldError.evaluate((el, id) => el.parentElement?.querySelector(`#${id}`) !== null, `game-${path}`)).toBe(true);
    }
    expect(await page.locator("#game-name-error").count()).toBe(0);
    await screenshot(page, "06-create-invalid");

    await page.getByLabel("Store ID (required)").fill("1999000111");
    await page.getByLabel("Icon URL").fill("");
    await page.getByLabel("App version").fill("1.0.0");
    await page.getByRole("button", { name: "Create game" }).click();

    await poll(() => text(page.getByTestId("announcer"))).toMatch(/Created “E2E Test Game” \(id \d+\)/);
    await poll(async () => decodeURIComponent(page.url())).toContain("#/games?name=E2E+Test+Game&platform=ios");
    const row = gameRow(page, "E2E Test Game");
    await row.waitFor();
    expect(await text(row.locator('td[data-label="Store ID"]'))).toBe("1999000111");
    expect(await text(row.locator('td[data-label="Version"]'))).toBe("1.0.0");
    await poll(() => text(page.getByTestId("stat-total"))).toBe(fmt(before + 1));
    await screenshot(page, "07-created");
  });

  it("a game that already exists (409) is linked from the form", async () => {
    const [existing] = await searchByName(SAMPLE_GAME.name, SAMPLE_GAME.platform);
    expect(existing, "the sample game was ingested").toBeDefined();
    await open("#/games");
    await page.getByRole("link", { name: "New game" }).click();
    await page.getByRole("heading", { name: "New game" }).waitFor();
    await page.getByLabel("Name (required)").fill("A copy");
    await page.getByLabel("Platform (required)").selectOption(SAMPLE_GAME.platform);
    await page.getByLabel("Store ID (required)").fill(SAMPLE_GAME.storeId);
    await page.getByRole("button", { name: "Create game" }).click();
    const link = page.getByTestId("form-errors").getByRole("link", { name: `Open the existing game (id ${existing!.id})` });
    await link.click();
    await page.getByRole("heading", { name: `Edit “${SAMPLE_GAME.name}”` }).waitFor();
    await poll(() => page.getByLabel("Store ID (required)").inputValue()).toBe(SAMPLE_GAME.storeId);
  });

  it("edits the game", async () => {
    await open("#/games?name=E2E+Test+Game&platform=ios");
    await page.getByRole("link", { name: "Edit E2E Test Game" }).click();
    await page.getByRole("heading", { name: "Edit “E2E Test Game”" }).waitFor();
    await poll(() => page.getByLabel("Store ID (required)").inputValue()).toBe("1999000111");

    await page.getByLabel("App version").fill("2.0.1");
    await page.getByLabel("Publisher name").fill("E2E Studio");
    // Read-after-write from any location: the reads after the save carry the save's X-D1-Bookmark.
    const apiRequests: PlaywrightRequest[] = [];
    const record = (request: PlaywrightRequest) => void (new URL(request.url()).pathname.startsWith("/api/") && apiRequests.push(request));
    page.on("request", record);
    // The form saves with a conditional PUT (If-Match).
    const saved = page.waitForResponse((res) => res.request().method() === "PUT" && /\/api\/games\/\d+$/.test(res.url()));
    await page.getByRole("button", { name: "Save changes" }).click();
    const bookmark = await (await saved).headerValue("x-d1-bookmark");
    expect(bookmark).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);

    await poll(() => text(page.getByTestId("announcer"))).toContain("Saved “E2E Test Game”");
    const row = gameRow(page, "E2E Test Game");
    await poll(() => text(row.locator('td[data-label="Version"]'))).toBe("2.0.1");
    expect(await text(row.locator('td[data-label="Publisher"]'))).toBe("E2E Studio");
    page.off("request", record);
    const readsAfter = apiRequests.slice(apiRequests.findIndex((r) => r.method() === "PUT") + 1).filter((r) => r.method() === "GET");
    expect(readsAfter.map((r) => new URL(r.url()).pathname)).toContain("/api/games/search");
    for (const read of readsAfter) expect(await read.headerValue("x-d1-bookmark"), read.url()).toBe(bookmark);
    // A reload right after the save keeps it (sessionStorage, like the key).
    expect(await page.evaluate<string | null>("sessionStorage.getItem('game-db.write-bookmark')")).toBe(bookmark);
  });

  it("a save never overwrites a change made while the form was open: it is refused and says so", async () => {
    await open("#/games?name=E2E+Test+Game&platform=ios");
    await page.getByRole("link", { name: "Edit E2E Test Game" }).click();
    await page.getByRole("heading", { name: "Edit “E2E Test Game”" }).waitFor();
    await poll(() => page.getByLabel("App version").inputValue()).toBe("2.0.1");
    const [match] = (await api<{ id: number; name: string }[]>("/api/games/search?name=E2E%20Test%20Game")).body;
    expect(match, "the game exists").toBeDefined();
    // Someone else changes the game after the form loaded it.
    expect((await api(`/api/games/${match!.id}`, { method: "PATCH", body: { publisherName: "Changed elsewhere" } })).status).toBe(200);

    await page.getByLabel("App version").fill("9.9.9");
    await page.getByRole("button", { name: "Save changes" }).click();
    await poll(() => content(page.getByTestId("form-errors"))).toMatch(/changed .* since you opened it/);
    const stored = (await api<{ appVersion: string; publisherName: string }>(`/api/games/${match!.id}`)).body;
    expect(stored).toMatchObject({ appVersion: "2.0.1", publisherName: "Changed elsewhere" });
    // The form offers the game as it is now; saving from there works.
    await page.getByTestId("form-errors").getByRole("button", { name: "Load the current values" }).click();
    await poll(() => page.getByLabel("Publisher name").inputValue()).toBe("Changed elsewhere");
    expect(await page.getByLabel("App version").inputValue()).toBe("2.0.1");
    expect(await page.getByTestId("form-errors").count()).toBe(0);
    await page.getByLabel("App version").fill("9.9.9");
    await page.getByRole("button", { name: "Save changes" }).click();
    await poll(() => text(page.getByTestId("announcer"))).toContain("Saved “E2E Test Game”");
    expect((await api(`/api/games/${match!.id}`)).body).toMatchObject({ appVersion: "9.9.9", publisherName: "Changed elsewhere" });
  });

  it("deletes the game after a confirmation", async () => {
    const before = await stats();
    await open("#/games?name=E2E+Test+Game&platform=ios");
    const row = gameRow(page, "E2E Test Game");
    const id = Number(await row.getAttribute("data-game-id"));

    await page.getByRole("button", { name: "Delete E2E Test Game" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this game?" });
    await dialog.waitFor();
    expect(await text(dialog.getByTestId("recreate-note"))).toBe(
      "Ingestion re-creates it, under a new id, only if a file listing iOS store id 1999000111 is ingested from now on: a new or changed file uploaded to the bucket, or a file not ingested yet (queued, or failed and then retried). Files already ingested are never read again, so an unchanged ranking file does not bring it back.",
    );
    await screenshot(page, "08-delete-confirm");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await row.count()).toBe(1);
    expect((await api(`/api/games/${id}`)).status).toBe(200);

    await page.getByRole("button", { name: "Delete E2E Test Game" }).click();
    await dialog.getByRole("button", { name: "Delete game" }).click();
    await dialog.waitFor({ state: "hidden" });
    await poll(() => text(page.getByTestId("announcer"))).toContain(`Deleted “E2E Test Game” (id ${id})`);
    await poll(() => text(page.getByTestId("games-summary"))).toBe("No games matching “E2E Test Game” on iOS.");
    expect((await api(`/api/games/${id}`)).status).toBe(404);
    await poll(() => text(page.getByTestId("stat-total"))).toBe(fmt(before - 1));
    // Paging through what is left, or leaving, drops the message.
    await nav(page, "Games").click();
    await poll(() => text(page.getByTestId("games-summary"))).toMatch(/^Showing 1–25 of/);
    expect(await text(page.getByTestId("announcer"))).toBe("");
  });

  it("a deleted game stays deleted through an unchanged file, and only a new file version brings it back; the header follows that run", async () => {
    const [game] = await searchByName(SAMPLE_GAME.name, SAMPLE_GAME.platform);
    expect(game).toBeDefined();
    await open("#/games");
    await page.getByLabel("Name contains").fill(SAMPLE_GAME.name);
    await page.getByLabel("Platform").selectOption(SAMPLE_GAME.platform);
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByRole("button", { name: `Delete ${SAMPLE_GAME.name}` }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this game?" });
    expect(await text(dialog.getByTestId("recreate-note"))).toContain(`only if a file listing iOS store id ${SAMPLE_GAME.storeId} is ingested from now on`);
    await dialog.getByRole("button", { name: "Delete game" }).click();
    await poll(() => text(page.getByTestId("games-summary"))).toBe(`No games matching “${SAMPLE_GAME.name}” on iOS.`);

    // What the dialog said, checked against the pipeline: the unchanged sample file is not read again…
    const again = await api<{ runId: number; filesEnqueued: number }>("/api/games/populate", { method: "POST" });
    expect(again.body.filesEnqueued).toBe(0);
    await finishedRun(again.body.runId);
    expect(await searchByName(SAMPLE_GAME.name, SAMPLE_GAME.platform)).toEqual([]);

    // …and a new file listing it re-creates it, under a new id. The run is started elsewhere (not
    // in this tab), yet the header's figures follow it while the user stays on the games list.
    await putObject("daily/2021-12-11/readd.json", rankingFile([SAMPLE_GAME]));
    const readd = await api<{ runId: number; filesEnqueued: number }>("/api/games/populate", { method: "POST" });
    expect(readd.body.filesEnqueued).toBe(1);
    await finishedRun(readd.body.runId);
    const [back] = await searchByName(SAMPLE_GAME.name, SAMPLE_GAME.platform);
    expect(back?.id).toBeGreaterThan(game!.id);
    const now = (await api<Stats>("/api/stats")).body;
    await poll(() => text(page.getByTestId("stat-total")), 15_000).toBe(fmt(now.games.total));
    await poll(() => page.getByTestId("stat-last-ingestion").locator("time").getAttribute("datetime"), 15_000).toBe(now.lastIngestionAt);
  });

  it("a file that is not JSON ends failed with its reason in words, and Retry says a new upload is needed", async () => {
    // The data team drops a broken file under the prefix.
    await putObject(NEW_FILE_KEY, '[[{"id": 1, "os": "ios"');

    await open("#/ingest");
    await page.getByRole("button", { name: "Populate now" }).click();
    await page.getByRole("heading", { name: /^Run #\d+$/ }).waitFor();
    const row = fileRow(page, NEW_FILE_KEY);
    await poll(() => row.getAttribute("data-status")).toBe("failed");
    await poll(() => content(row.getByTestId("last-error"))).toMatch(/^Last error: malformed-json: /);
    expect(await text(row.getByTestId("failure-reason"))).toMatch(/^The file is not valid JSON \(or not UTF-8 text\)\. Needs a new upload\. Retrying reads this same file again and fails the same way/);
    expect(await text(row.getByTestId("attempts"))).toBe("1");
    await poll(() => text(page.getByTestId("run-status"))).toContain("Done with 1 failed");
    await screenshot(page, "09-file-failed");

    // The ingestion page lists it under "Files needing attention"; Retry queues it again.
    await page.getByRole("link", { name: "All runs" }).click();
    const attention = page.getByRole("region", { name: "Files needing attention" });
    const listed = fileRow(attention, NEW_FILE_KEY);
    await listed.waitFor();
    await attention.getByRole("button", { name: `Retry ${NEW_FILE_KEY}` }).click();
    await poll(() => text(page.getByTestId("announcer"))).toBe(
      `A new upload is needed for ${NEW_FILE_KEY}: The file is not valid JSON (or not UTF-8 text). The retry queued this same file again, and it will fail the same way; a corrected file uploaded to the bucket is ingested as a new version by the next run (or Populate now).`,
    );
    // As said: the consumer takes it again (attempts 2) and, still not JSON, it fails again.
    await poll(() => text(listed.getByTestId("attempts"))).toBe("2");
    await poll(() => listed.getAttribute("data-status")).toBe("failed");
    expect(await text(listed.getByTestId("last-error"))).toContain("malformed-json");
    await screenshot(page, "10-retry-failed-again");
  });

  it("a file that failed transiently can be retried to done", async () => {
    // Simulates an S3 outage on a good file: mark it failed in the local D1, as a consumer would.
    await d1(`UPDATE ingest_files SET status='failed', last_error='s3-503: simulated outage' WHERE key='${GOOD_FILE_KEY}'`);

    await open("#/ingest");
    await page.getByRole("heading", { name: "Ingestion", level: 1 }).waitFor();
    await page.getByRole("link", { name: "Run #1", exact: true }).click();
    const row = fileRow(page, GOOD_FILE_KEY);
    await poll(() => row.getAttribute("data-status")).toBe("failed");
    expect(await content(row.getByTestId("last-error"))).toBe("Last error: s3-503: simulated outage");
    expect(await text(row.getByTestId("failure-reason"))).toBe("S3 failed or was busy (it answered 503). Can be retried. A temporary failure: retry.");
    const attempts = Number(await text(row.getByTestId("attempts")));
    await screenshot(page, "11-transient-failure");

    await row.getByRole("button", { name: `Retry ${GOOD_FILE_KEY}` }).click();
    await poll(() => text(page.getByTestId("announcer"))).toBe(`Retry of ${GOOD_FILE_KEY} accepted: the file is queued for ingestion again.`);
    await poll(() => row.getAttribute("data-status")).toBe("done");
    expect(Number(await text(row.getByTestId("attempts")))).toBe(attempts + 1);
    expect(await row.getByTestId("last-error").count()).toBe(0);
    await poll(() => text(page.getByTestId("run-status"))).toBe("Done");
    await screenshot(page, "12-retry-done");
  });

  it("offers only what the key may do: other actions are disabled with the reason; a key that stops working is explained", async () => {
    const created = await api<{ id: number; key: string }>("/api/keys", { method: "POST", body: { name: "e2e-reader", scopes: ["games:read"] } });
    expect(created.status).toBe(201);
    const tab = await browser.context.newPage(); // a new tab: its own sessionStorage
    // Nothing is offered and then refused: the only 403 is the one that tells the UI the key's scopes.
    const refused: string[] = [];
    tab.on("response", (res) => res.status() === 403 && refused.push(new URL(res.url()).pathname));
    try {
      await signIn(tab, created.body.key);
      await poll(() => text(tab.getByTestId("stat-total"))).toMatch(/^[\d,]+$/);
      const writeReason = "This key lacks the games:write scope (it has: games:read).";
      await tab.locator("table.games tbody tr").first().waitFor();
      expect(await text(tab.getByTestId("scope-note-games:write"))).toBe(`New game, Edit and Delete are disabled: ${writeReason}`);
      expect(await tab.getByRole("button", { name: "New game" }).isDisabled()).toBe(true);
      const firstRow = tab.locator("table.games tbody tr").first();
      expect(await firstRow.getByRole("button", { name: /^Edit / }).isDisabled()).toBe(true);
      expect(await firstRow.getByRole("button", { name: /^Delete / }).isDisabled()).toBe(true);
      expect(await tab.getByRole("link", { name: "New game" }).count()).toBe(0);

      // A form opened by its URL is read-only and says why.
      await tab.goto(`${baseUrl}/#/games/new`);
      await tab.getByRole("heading", { name: "New game" }).waitFor();
      expect(await text(tab.getByTestId("scope-note-games:write"))).toBe(`This form is read-only: ${writeReason}`);
      expect(await tab.getByRole("button", { name: "Create game" }).isDisabled()).toBe(true);
      expect(await tab.getByLabel("Name (required)").isDisabled()).toBe(true);

      await nav(tab, "Ingestion").click();
      await poll(() => tab.getByTestId("scope-note-ingest:read").allInnerTexts()).toEqual([
        "This key lacks the ingest:read scope (it has: games:read).",
        "This key lacks the ingest:read scope (it has: games:read).",
      ]);
      expect(await tab.getByRole("button", { name: "Populate now" }).isDisabled()).toBe(true);
      expect(await text(tab.getByTestId("scope-note-ingest:run"))).toBe("This key lacks the ingest:run scope (it has: games:read).");
      await screenshot(tab, "13-missing-scope");
      expect(refused).toEqual(["/api/keys"]);

      // Revoked while in use: the next request is refused (in the words an unknown key gets) and offers to enter another key.
      expect((await api(`/api/keys/${created.body.id}`, { method: "DELETE" })).status).toBe(200);
      await nav(tab, "Games").click();
      const banner = tab.locator(".banner[role=alert]");
      await poll(() => text(banner)).toContain("The API key was not accepted: The API key is not recognised");
      await screenshot(tab, "14-key-revoked");
      await banner.getByRole("button", { name: "Enter another key" }).click();
      await tab.getByRole("heading", { name: "Sign in with an API key" }).waitFor();
      expect(await tab.evaluate<string | null>("sessionStorage.getItem('game-db.api-key')")).toBeNull();
    } finally {
      await tab.close();
    }

    // A key that may read the ledger but not run ingestion: Retry and Populate are disabled, with the reason.
    const reader = await api<{ key: string }>("/api/keys", { method: "POST", body: { name: "e2e-ingest-reader", scopes: ["games:read", "ingest:read"] } });
    const watcher = await browser.context.newPage();
    try {
      await signIn(watcher, reader.body.key);
      await nav(watcher, "Ingestion").click();
      const attention = watcher.getByRole("region", { name: "Files needing attention" });
      const retry = attention.getByRole("button", { name: `Retry ${NEW_FILE_KEY}` });
      await retry.waitFor();
      expect(await retry.isDisabled()).toBe(true);
      const runReason = "This key lacks the ingest:run scope (it has: games:read, ingest:read).";
      expect(await text(attention.getByTestId("scope-note-ingest:run"))).toBe(`Retry is disabled: ${runReason}`);
      expect(await watcher.getByRole("button", { name: "Populate now" }).isDisabled()).toBe(true);
    } finally {
      await watcher.close();
    }

    // An ingestion-only key: kept, with a warning, and the games are not asked for.
    const ingester = await api<{ key: string }>("/api/keys", { method: "POST", body: { name: "e2e-ingester", scopes: ["ingest:read", "ingest:run"] } });
    const ingestTab = await browser.context.newPage();
    const ingestRefused: string[] = [];
    ingestTab.on("response", (res) => res.status() === 403 && ingestRefused.push(new URL(res.url()).pathname));
    try {
      await signIn(ingestTab, ingester.body.key);
      const readReason = "This key lacks the games:read scope (it has: ingest:read, ingest:run).";
      await poll(() => text(ingestTab.getByTestId("announcer"))).toBe(`Key saved for this tab. ${readReason}`);
      expect(await text(ingestTab.getByTestId("scope-note-games:read"))).toBe(readReason);
      expect(await text(ingestTab.getByTestId("stats-error"))).toBe(`Figures unavailable: ${readReason}`);
      expect(await ingestTab.getByTestId("games-summary").count()).toBe(0);
      expect(ingestRefused).toEqual(["/api/keys"]);
    } finally {
      await ingestTab.close();
    }

    // "Forget key" in the header signs out of the tab.
    const other = await browser.context.newPage();
    try {
      await signIn(other);
      await other.getByRole("button", { name: "Forget key" }).click();
      await other.getByLabel("API key").waitFor();
      expect(await other.evaluate<string | null>("sessionStorage.getItem('game-db.api-key')")).toBeNull();
    } finally {
      await other.close();
    }
  });

  it("the header follows a run to its end, wherever the user goes meanwhile", async () => {
    // A run in progress for as long as the test needs: one of its files is put back to
    // processing in the local D1, as a consumer holding it would have it.
    const key = GOOD_FILE_KEY;
    await d1(`UPDATE ingest_files SET status='processing', finished_at=NULL WHERE key='${key}'`);
    await open("#/ingest");
    await page.getByText("A run is in progress; this list refreshes automatically.").waitFor();
    // The user leaves for the games list; the run finishes there.
    await nav(page, "Games").click();
    await page.getByRole("heading", { name: "Games", exact: true }).waitFor();
    const finishedAt = new Date().toISOString();
    await d1(`UPDATE ingest_files SET status='done', finished_at='${finishedAt}' WHERE key='${key}'`);
    expect((await api<Stats>("/api/stats")).body.lastIngestionAt).toBe(finishedAt);
    // Well before the header's own 30 s refresh.
    await poll(() => page.getByTestId("stat-last-ingestion").locator("time").getAttribute("datetime"), 6_000).toBe(finishedAt);
  });

  it("numbers every page, even past the API's deepest offset, where the URL carries the API's cursor", async () => {
    // 10,250 games matching one name: more than the API counts (10,000) and deeper than its offsets reach.
    const bulk = Array.from({ length: 10_250 }, (_, i) => ({ name: `E2E Bulk ${i + 1}`, storeId: String(1_800_000_000 + i) }));
    await putObject("daily/2021-12-13/bulk.json", rankingFile(bulk));
    const run = await api<{ runId: number }>("/api/games/populate", { method: "POST" });
    expect((await finishedRun(run.body.runId)).totals.gamesWritten).toBe(10_250);

    const summary = page.getByTestId("games-summary");
    const position = page.getByTestId("pager-position");
    await open("#/games?name=E2E+Bulk&limit=100");
    await poll(() => text(summary)).toBe("Showing 1–100 of more than 10,000 games matching “E2E Bulk”.");
    expect(await text(position)).toBe("Page 1 of at least 101");

    await open("#/games?name=E2E+Bulk&limit=100&page=101");
    await poll(() => text(summary)).toBe("Showing 10,001–10,100 of more than 10,000 games matching “E2E Bulk”.");
    expect(await text(position)).toBe("Page 101 of at least 102");
    await page.getByRole("button", { name: "Next page" }).click();
    await poll(() => text(summary)).toBe("Showing 10,101–10,200 of more than 10,000 games matching “E2E Bulk”.");
    expect(page.url()).toMatch(/[?&]page=102&after=[\w-]+$/);
    const first = await text(page.locator("table.games tbody tr th").first());
    await page.reload();
    await poll(() => text(summary)).toBe("Showing 10,101–10,200 of more than 10,000 games matching “E2E Bulk”.");
    expect(await text(page.locator("table.games tbody tr th").first())).toBe(first);
    await page.getByRole("button", { name: "Next page" }).click();
    await poll(() => text(summary)).toBe("Showing 10,201–10,250 of more than 10,000 games matching “E2E Bulk”.");
    expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
    expect(await text(position)).toBe("Page 103 of 103");
    await page.getByRole("button", { name: "Previous page" }).click();
    await poll(() => text(summary)).toBe("Showing 10,101–10,200 of more than 10,000 games matching “E2E Bulk”.");
    await screenshot(page, "16-deep-pages");
  });

  it("works with the keyboard alone: sign in, search, create, delete with the dialog, navigate", async () => {
    const tab = await browser.context.newPage();
    const focused = () =>
      tab.evaluate<{ tag: string; id: string; name: string; text: string; outline: string }>(`(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return { tag: el.tagName, id: el.id, name: el.getAttribute("aria-label") ?? "", text: (el.innerText ?? "").trim(), outline: style.outlineStyle };
      })()`);
    /** Presses Tab (or Shift+Tab) until the focused element matches; fails after `max` presses. */
    const tabTo = async (matches: (f: Awaited<ReturnType<typeof focused>>) => boolean, what: string, max = 60, key = "Tab") => {
      for (let i = 0; i < max; i++) {
        await tab.keyboard.press(key);
        const f = await focused();
        if (matches(f)) {
          expect(f.outline, `focus indicator on ${what}`).not.toBe("none");
          return f;
        }
      }
      throw new Error(`Tab never reached ${what}`);
    };
    try {
      await tab.goto(`${baseUrl}/`);
      await tab.getByLabel("API key").waitFor();
      await poll(async () => (await focused()).id).toBe("api-key");
      await tab.keyboard.type(adminKey);
      await tab.keyboard.press("Enter");
      await tab.getByTestId("stat-total").waitFor();

      // Skip link first, then straight to the content.
      await tabTo((f) => f.text === "Skip to content", "the skip link", 3);
      await tab.keyboard.press("Enter");
      await poll(async () => (await focused()).id).toBe("main");

      await tabTo((f) => f.id === "search-name", "the name search field");
      await tab.keyboard.type("bingo");
      await tab.keyboard.press("Enter");
      await poll(() => text(tab.getByTestId("games-summary"))).toContain("matching “bingo”");

      await tabTo((f) => f.text === "New game", "the New game link", 10, "Shift+Tab");
      await tab.keyboard.press("Enter");
      await tab.getByRole("heading", { name: "New game" }).waitFor();
      await poll(async () => (await focused()).id).toBe("view-title");
      await tabTo((f) => f.id === "game-name", "the Name field");
      await tab.keyboard.type("Keyboard Game");
      await tabTo((f) => f.id === "game-platform", "the Platform field", 2);
      await tab.keyboard.press("ArrowDown"); // iOS → Android
      await tabTo((f) => f.id === "game-storeId", "the Store ID field", 2);
      await tab.keyboard.type("com.example.keyboard");
      await tab.keyboard.press("Enter");
      const row = gameRow(tab, "Keyboard Game");
      await row.waitFor();
      expect(await text(row.locator('td[data-label="Platform"]'))).toBe("Android");

      await tabTo((f) => f.name === "Delete Keyboard Game", "the Delete button");
      await tab.keyboard.press("Enter");
      const dialog = tab.getByRole("dialog", { name: "Delete this game?" });
      await dialog.waitFor();
      expect((await focused()).text).toBe("Cancel");
      await tab.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      // The dialog hands focus back on the next animation frame after it closes.
      await poll(async () => (await focused()).name).toBe("Delete Keyboard Game");
      await tab.keyboard.press("Enter");
      await dialog.waitFor();
      await tab.keyboard.press("Tab");
      expect((await focused()).text).toBe("Delete game");
      await screenshot(tab, "15-keyboard-dialog");
      await tab.keyboard.press("Enter");
      await poll(() => text(tab.getByTestId("games-summary"))).toBe("No games matching “Keyboard Game” on Android.");

      await tabTo((f) => f.tag === "A" && f.text === "Ingestion", "the Ingestion link", 20, "Shift+Tab");
      await tab.keyboard.press("Enter");
      await poll(async () => (await focused()).id).toBe("view-title");
      expect(await text(tab.locator("#view-title"))).toBe("Ingestion");
      await tabTo((f) => f.text === "Populate now", "the Populate now button");
    } finally {
      await tab.close();
    }
  });

  it("fits a phone screen (390×844) without horizontal scrolling", async () => {
    const tab = await browser.context.newPage();
    try {
      await tab.setViewportSize({ width: 390, height: 844 });
      await tab.goto(`${baseUrl}/`);
      await tab.getByLabel("API key").waitFor();
      expect(await noHorizontalScroll(tab)).toBe(true);
      await screenshot(tab, "phone-01-key");

      await signIn(tab);
      await tab.locator("table.games tbody tr").first().waitFor();
      expect(await noHorizontalScroll(tab)).toBe(true);
      // Rows become cards: the first row's cells are stacked, not side by side.
      const cells = tab.locator("table.games tbody tr").first().locator("td[data-label]");
      const [a, b] = [await cells.nth(0).boundingBox(), await cells.nth(1).boundingBox()];
      expect(b!.y).toBeGreaterThan(a!.y);
      await screenshot(tab, "phone-02-games");

      await tab.getByRole("link", { name: "New game" }).click();
      await tab.getByLabel("Store ID (required)").fill("not a store id");
      await tab.getByRole("button", { name: "Create game" }).click();
      await tab.getByTestId("form-errors").waitFor();
      expect(await noHorizontalScroll(tab)).toBe(true);
      await screenshot(tab, "phone-03-form-errors");

      await nav(tab, "Ingestion").click();
      await fileRow(tab, NEW_FILE_KEY).waitFor();
      expect(await noHorizontalScroll(tab)).toBe(true);
      await screenshot(tab, "phone-04-ingestion");

      await tab.getByRole("link", { name: "Run #1", exact: true }).click();
      await fileRow(tab, GOOD_FILE_KEY).waitFor();
      expect(await noHorizontalScroll(tab)).toBe(true);
      await screenshot(tab, "phone-05-run");
    } finally {
      await tab.close();
    }
  });

  it("ran without page errors or Content-Security-Policy violations", () => {
    expect(browser.problems).toEqual([]);
  });
});
