/**
 * Memory of Chromium's processes as Linux reports them (/proc): the tree under the browser process
 * of one profile, each process with its type (renderer, gpu-process, utility...) and its resident
 * set now and at its peak (VmRSS, VmHWM). A tab and its dedicated workers live in one renderer.
 */
import {readdirSync, readFileSync} from "node:fs";

export interface ProcessMemory {
  pid: number;
  /** Chromium's --type of the process, "browser" for the browser process itself. */
  type: string;
  rssMb: number;
  peakRssMb: number;
}

function processes(): {pid: number; ppid: number; args: string}[] {
  const out: {pid: number; ppid: number; args: string}[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may hold spaces and parentheses): state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.push({pid: Number(entry), ppid, args: readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ")});
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function memoryOf(pid: number): {rssMb: number; peakRssMb: number} {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return {rssMb: mb("VmRSS"), peakRssMb: mb("VmHWM")};
}

/** Every process of the Chromium started with `userDataDir` (Linux only; [] elsewhere). */
export function chromiumProcesses(userDataDir: string): ProcessMemory[] {
  let all: ReturnType<typeof processes>;
  try {
    all = processes();
  } catch {
    return [];
  }
  const root = all.find((p) => p.args.includes(`--user-data-dir=${userDataDir}`) && !p.args.includes("--type="));
  if (!root) return [];
  const tree = new Set([root.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (tree.has(p.ppid) && !tree.has(p.pid)) (tree.add(p.pid), (grew = true));
  }
  const out: ProcessMemory[] = [];
  for (const p of all.filter((q) => tree.has(q.pid))) {
    try {
      out.push({pid: p.pid, type: /--type=(\S+)/.exec(p.args)?.[1] ?? "browser", ...memoryOf(p.pid)});
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The renderer with the highest peak: with one page open, that page's (and its workers'). */
export function busiestRenderer(userDataDir: string): ProcessMemory | null {
  const renderers = chromiumProcesses(userDataDir).filter((p) => p.type === "renderer");
  return renderers.sort((a, b) => b.peakRssMb - a.peakRssMb)[0] ?? null;
}
