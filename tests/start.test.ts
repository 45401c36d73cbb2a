/**
 * `npm start` as a user runs it (Observable's preview server; its loaders run on demand), traced by
 * strace: every process it starts, every connect() they make. Debian's Chromium opens the pages from
 * it. Two things are checked:
 *
 * - the SQL page opens an audit folder made here by `npm run audit` (2 shards, real images, the small
 *   parity bundle) through its folder picker, a dropped folder and files picked one by one, and
 *   queries every table, while the sample audit's tables are still on their way (its request is held
 *   until then: the first visit does not wait for the server's audit);
 * - no process of `npm start` connects anywhere but 127.0.0.1, and Observable's telemetry is off
 *   (the script sets it; this test unsets it in its own environment).
 */
import {execFileSync, spawn, type ChildProcess} from "node:child_process";
import {readFileSync, rmSync} from "node:fs";
import {createServer} from "node:net";
import path from "node:path";
import type {Page, Route} from "playwright-core";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {auditFixture, PARITY_BUNDLE, queryAudit, type AuditFixture} from "./helpers/audit.js";
import {launchChromium, type ChromiumSession} from "./helpers/browser.js";
import {isLoopback, offLoopbackConnects, straceBinary, tracedCommand} from "./helpers/connections.js";
import {DATA_ROOT, REPO_ROOT, TMP_ROOT} from "./helpers/paths.js";

const TABLES = ["images", "predictions", "ood", "explanations", "errors", "metrics", "run"];

describe("strace's connect() lines", () => {
  it("are judged by address: loopback passes, any other internet address (a DNS server included) fails, Unix sockets are not network", () => {
    const trace = [
      '101 connect(19, {sa_family=AF_UNIX, sun_path="/tmp/tsx-0/12470.pipe"}, 110) = 0',
      '101 connect(20, {sa_family=AF_INET, sin_port=htons(3000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
      '102 connect(21, {sa_family=AF_INET6, sin6_port=htons(3000), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '102 connect(22, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:127.0.0.2", &sin6_addr), sin6_scope_id=0}, 28) = 0',
      '103 connect(23, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}, 16) = 0',
      '104 connect(24, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2606:4700::6810:84e5", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>',
      "104 <... connect resumed>) = -1 EINPROGRESS (Operation now in progress)"
    ].join("\n");
    expect(offLoopbackConnects(trace).map((l) => l.split(" ")[0])).toEqual(["103", "104"]);
    expect(isLoopback("127.1.2.3")).toBe(true);
    expect(isLoopback("128.0.0.1")).toBe(false);
  });
});

/** A free port on 127.0.0.1 (the server is then started on it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const {port} = server.address() as {port: number};
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function finished(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once("close", (code) => resolve(code))));
}

describe("npm start", {timeout: 900_000}, () => {
  const work = path.join(TMP_ROOT, "start");
  const traceLog = path.join(work, "npm-start.strace");
  const strace = straceBinary();
  let fixture: AuditFixture;
  let out: string;
  let server: ChildProcess;
  let serverOutput = "";
  let origin: string;
  let chromium: ChromiumSession;

  beforeAll(async () => {
    rmSync(work, {recursive: true, force: true});
    fixture = auditFixture("start/audit");
    out = path.join(work, "audit-out");
    // The user's audit: two shards as two processes, chunks of 8 (several part files per shard).
    const audit = spawn("npm", ["run", "audit", "--", "--images", fixture.images, "--labels", fixture.labels, "--model", PARITY_BUNDLE,
      "--out", out, "--workers", "2", "--chunk", "8", "--explain", "cam,gradcam", "--alpha", "10,40", "--progress", "lines"], {cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"]});
    let auditOutput = "";
    audit.stdout!.on("data", (d) => (auditOutput += d));
    audit.stderr!.on("data", (d) => (auditOutput += d));
    expect(await finished(audit), auditOutput).toBe(0);

    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {...process.env, CXR_DATA: DATA_ROOT};
    // The script must switch telemetry off by itself.
    delete env.OBSERVABLE_TELEMETRY_DISABLE;
    const npm = ["npm", ["start", "--", "--port", String(port), "--no-open"]] as const;
    const [command, args] = strace ? tracedCommand(strace, traceLog, npm[0], [...npm[1]]) : [npm[0], [...npm[1]]];
    // Its own process group, so the whole tree (npm, sh, node, the loaders) is stopped together.
    server = spawn(command, args, {cwd: REPO_ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"]});
    server.stdout!.on("data", (d) => (serverOutput += d));
    server.stderr!.on("data", (d) => (serverOutput += d));
    for (let i = 0; ; i++) {
      if (server.exitCode !== null) throw new Error(`npm start exited (${server.exitCode}):\n${serverOutput}`);
      const ok = await fetch(`${origin}/sql.html`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 600) throw new Error(`npm start did not answer on ${origin} in 5 minutes:\n${serverOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    chromium = await launchChromium();
  }, 900_000);

  afterAll(async () => {
    await chromium?.close();
    if (server && server.exitCode === null && server.signalCode === null) {
      process.kill(-server.pid!, "SIGTERM");
      const stopped = await Promise.race([finished(server), new Promise((resolve) => setTimeout(() => resolve("timeout"), 20_000))]);
      if (stopped === "timeout") process.kill(-server.pid!, "SIGKILL");
    }
  });

  /**
   * Does `action` (which makes the query cell run again) and returns the result it leads to, as the
   * result table's rows of text. Results on screen before are marked stale first: a result stays on
   * screen until the next one settles, and a query started earlier may still be settling.
   */
  const consoleOf = new WeakMap<Page, string[]>();

  async function settle(page: Page, action: () => Promise<unknown>): Promise<string[][]> {
    await page.evaluate(() => document.querySelectorAll(".query-status, [role=alert]").forEach((n) => n.setAttribute("data-stale", "")));
    await action();
    const settled = page.locator(".query-status:not([data-stale]), [role=alert]:not([data-stale])").filter({hasText: /rows? in \d+ ms|The query failed/});
    await settled.first().waitFor({timeout: 300_000}).catch(async (error) => {
      // What the page showed and logged (the preview client logs its reloads and updates).
      const shown = await page.evaluate(() => ({
        url: location.href,
        query: (document.querySelector("select[aria-label], select") as HTMLSelectElement | null)?.selectedOptions[0]?.textContent,
        statuses: [...document.querySelectorAll(".query-status, [role=alert], [role=status], .opened-audit")].map((n) => n.textContent?.trim().slice(0, 200))
      })).catch(() => "(page gone)");
      throw new Error(`${error.message}\npage: ${JSON.stringify(shown)}\nconsole:\n${(consoleOf.get(page) ?? []).slice(-40).join("\n")}`);
    });
    const status = await settled.first().textContent();
    if (/The query failed/.test(status ?? "")) throw new Error(status ?? "");
    return page.locator(".sql-result tbody tr").evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll("td")].slice(1).map((td) => td.textContent!.trim())));
  }

  async function sql(page: Page, text: string): Promise<string[][]> {
    return settle(page, async () => {
      await page.getByLabel("SQL query").fill(text);
      await page.getByLabel("SQL query").press("Control+Enter");
    }).catch((error) => {
      throw new Error(`${text}: ${error.message}`);
    });
  }

  it("the SQL page shows its editor and folder picker at once, opens an audit folder (both shards of every table) while the sample is still on its way, and says whose tables are whose", async () => {
    const watched = await chromium.newPage();
    const page = watched.page;
    consoleOf.set(page, watched.console);
    await page.setViewportSize({width: 1280, height: 900});
    // Hold the sample audit's tables (on a first visit the server is running that audit) until the
    // user's audit has been opened and queried.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let requested = false;
    await page.route(/audit-tables[^/]*\.pack/, async (route: Route) => {
      requested = true;
      await held;
      await route.continue();
    });
    await page.goto(`${origin}/sql.html`);
    const folderInput = page.getByLabel("Open an audit folder (the --out of npm run audit)");
    await folderInput.waitFor({state: "attached", timeout: 300_000});
    await page.getByLabel("SQL query").waitFor({timeout: 300_000});
    await expect.poll(() => requested, {timeout: 300_000}).toBe(true);
    expect(await page.getByText(/Loading the sample audit's tables in the background/).count()).toBe(1);
    // The preset's query on the sample says it waits for it (and holds nothing else up: the cell
    // that runs queries never awaits the sample, or every later query would queue behind it).
    await page.locator(".query-waiting").waitFor({timeout: 300_000});

    // Opening it (the sample's tables still wait); the queries below run on it explicitly.
    await folderInput.setInputFiles(out);
    const summary = page.locator(".opened-audit").filter({hasText: "Your audit audit_out"});
    await summary.waitFor({timeout: 300_000});
    expect(await page.getByLabel("Query", {exact: true}).locator("option:checked").textContent()).toBe("your audit audit_out (audit_out.*)");

    for (const table of TABLES) {
      const expected = await queryAudit(out, table === "metrics"
        ? `SELECT count(*) AS n FROM {metrics}`
        : `SELECT shard, count(*) AS n FROM {${table}} GROUP BY shard ORDER BY shard`);
      const rows = await sql(page, table === "metrics"
        ? `SELECT count(*) AS n FROM audit_out.metrics`
        : `SELECT shard, count(*) AS n FROM audit_out.${table} GROUP BY shard ORDER BY shard`);
      expect(rows, table).toEqual(expected.map((r) => Object.values(r).map((v) => Number(v).toLocaleString("en-US"))));
      if (!["metrics", "errors"].includes(table)) expect(rows.map((r) => r[0]), `${table}: both shards`).toEqual(["1", "2"]);
      expect(await summary.textContent()).toContain(`audit_out.${table}`);
    }
    // Every column, as the CLI reads it (hive partitioning adds shard). One row each: the result
    // table draws its rows lazily, so a long result is not all in the page at once.
    for (const table of TABLES) {
      const expected = await queryAudit(out, `SELECT column_name FROM (DESCRIBE SELECT * FROM {${table}})`);
      const rows = await sql(page, `SELECT string_agg(column_name, ' ' ORDER BY column_name) AS columns FROM (DESCRIBE audit_out.${table})`);
      expect(rows[0]![0]!.split(" "), table).toEqual(expected.map((r) => String(r.column_name)).sort());
    }
    // Unqualified names (the presets') mean the chosen audit: the user's.
    const [readable] = await queryAudit(out, "SELECT count(*) AS n FROM {images} WHERE status = 'ok'");
    expect(await sql(page, "SELECT count(*) AS n FROM images WHERE status = 'ok'")).toEqual([[String(readable!.n)]]);
    const errors = await sql(page, "SELECT path, code FROM errors ORDER BY path");
    expect(errors.map((r) => r[0])).toEqual(fixture.broken);
    expect(requested).toBe(true);

    // Now the sample arrives: its tables are in schema sample, and the page says so.
    release();
    const sampleStatus = page.locator(".sample-status");
    await sampleStatus.waitFor({timeout: 600_000});
    expect(await sampleStatus.textContent()).toMatch(/sample audit's tables.*sample\.images.*sample\.run/s);
    const [sampleImages] = await sql(page, "SELECT count(*) AS n FROM sample.images");
    await settle(page, () => page.getByLabel("Query", {exact: true}).selectOption({label: "the sample audit (sample.*)"}));
    expect(await sql(page, "SELECT count(*) AS n FROM images")).toEqual([sampleImages]);
    expect(sampleImages![0]).not.toBe(String(fixture.files.length));

    // Parts picked one by one: every part-00000.parquet is recognised by its columns, none replaces another.
    const parts = ["images", "predictions", "ood"].map((t) => path.join(out, t, "shard=1", "part-00000.parquet"));
    const loose = page.getByLabel("Open Parquet or CSV files as tables");
    await settle(page, () => loose.setInputFiles(parts));
    await page.locator(".opened-audit").filter({hasText: "Your audit files "}).waitFor({timeout: 120_000});
    for (const t of ["images", "predictions", "ood"]) {
      const [expected] = await queryAudit(out, `SELECT count(*) AS n FROM read_parquet('${path.join(out, t, "shard=1", "part-00000.parquet")}')`);
      expect(await sql(page, `SELECT count(*) AS n FROM files.${t}`)).toEqual([[String(expected!.n)]]);
    }
    // The same tables' parts of the other shard: a second schema, the first kept as it was.
    const counts = async (schema: string) => (await sql(page, `SELECT count(*) AS n FROM ${schema}.images`))[0]![0];
    const before = await counts("files");
    await settle(page, () => loose.setInputFiles(["images", "predictions", "ood"].map((t) => path.join(out, t, "shard=2", "part-00000.parquet"))));
    await page.locator(".opened-audit").filter({hasText: "Your audit files_2 "}).waitFor({timeout: 120_000});
    const [shard2] = await queryAudit(out, `SELECT count(*) AS n FROM read_parquet('${path.join(out, "images", "shard=2", "part-00000.parquet")}')`);
    expect(await counts("files_2")).toBe(String(shard2!.n));
    expect(await counts("files")).toBe(before);

    await page.screenshot({path: path.join(REPO_ROOT, "test-output/screenshots/sql-audit-folder.png"), fullPage: true});
    expect(watched.foreignRequests()).toEqual([]);
    watched.assertClean();
    await page.close();
  });

  it("a folder dropped on the SQL page opens as an audit too", async () => {
    const watched = await chromium.newPage();
    const page = watched.page;
    consoleOf.set(page, watched.console);
    await page.goto(`${origin}/sql.html`);
    const zone = page.getByLabel("Drop an audit folder here");
    await zone.waitFor({timeout: 300_000});
    // A real drag of the folder from the file system, through the DevTools protocol (as a file
    // manager's drop reaches the page: DataTransfer items whose entries are walked).
    const box = (await zone.boundingBox())!;
    const cdp = await page.context().newCDPSession(page);
    const data = {items: [], files: [out], dragOperationsMask: 1};
    await settle(page, async () => {
      for (const type of ["dragEnter", "dragOver", "drop"] as const)
        await cdp.send("Input.dispatchDragEvent", {type, x: box.x + box.width / 2, y: box.y + box.height / 2, data});
    });
    const summary = page.locator(".opened-audit").filter({hasText: /Your audit audit_out/});
    await summary.waitFor({timeout: 300_000});
    for (const table of TABLES) expect(await summary.textContent()).toContain(`.${table}`);
    const [expected] = await queryAudit(out, "SELECT count(*) AS n FROM {predictions}");
    expect(await sql(page, "SELECT count(*) AS n FROM predictions")).toEqual([[Number(expected!.n).toLocaleString("en-US")]]);
    expect(watched.foreignRequests()).toEqual([]);
    watched.assertClean();
    await page.close();
  });

  it("serves every page, and no process of npm start opens a connection off 127.0.0.1; telemetry is off", async () => {
    for (const name of ["index", "preprocessing", "ood", "prediction", "explanation", "explanation-evaluation", "sql"]) {
      const watched = await chromium.newPage();
      await watched.page.goto(`${origin}/${name}.html`);
      await watched.page.locator("h1").first().waitFor({timeout: 300_000});
      // The page's data files (and so the server's loaders) are all requested by then.
      await watched.page.waitForLoadState("networkidle", {timeout: 600_000});
      expect(watched.foreignRequests()).toEqual([]);
      await watched.page.close();
    }
    // Framework's telemetry banner (shown once per machine) is absent, and the CLI's process has
    // the variable that switches telemetry off, from the script (this test's environment lacks it).
    expect(serverOutput).not.toMatch(/collects anonymous telemetry/);
    const processes = execFileSync("ps", ["-o", "pid=,args=", "-g", String(server.pid)], {encoding: "utf8"}).split("\n");
    const cli = processes.find((line) => /^\s*\d+\s+\S*node\S*\s+\S*observable\s+preview\b/.test(line));
    expect(cli, processes.join("\n")).toBeDefined();
    const environment = readFileSync(`/proc/${cli!.trim().split(/\s+/)[0]}/environ`, "utf8").split("\0");
    expect(environment).toContain("OBSERVABLE_TELEMETRY_DISABLE=true");
    if (!strace) {
      console.warn("strace is not installed (apt-get install strace): the connections of npm start were not traced");
      return;
    }
    process.kill(-server.pid!, "SIGTERM");
    await finished(server);
    const trace = readFileSync(traceLog, "utf8");
    // It traced: npm start's own processes connect Unix sockets (tsx's IPC) all along.
    expect(trace).toMatch(/connect\(/);
    expect(offLoopbackConnects(trace)).toEqual([]);
  });
});
