/**
 * Proof that a command opens no connection off this machine: run it under `strace -f -e
 * trace=connect` (every process it starts, every connect() they make) and list the AF_INET / AF_INET6
 * connects to any address but loopback. A DNS lookup shows up too (glibc connects a UDP socket to the
 * name server), so a lookup of a telemetry host fails the check even if the request never goes out.
 */
import {execFileSync} from "node:child_process";

/** strace's path, or undefined where it is not installed (.ci/run installs it). */
export function straceBinary(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v strace"], {encoding: "utf8"}).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The argv that runs `command args` under strace, every connect() of every process written to `log`. */
export function tracedCommand(strace: string, log: string, command: string, args: string[]): [string, string[]] {
  return [strace, ["-f", "-qq", "-e", "trace=connect", "-e", "signal=none", "-o", log, command, ...args]];
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped form. */
export function isLoopback(address: string): boolean {
  const v4 = address.replace(/^::ffff:/i, "");
  return /^127\.\d+\.\d+\.\d+$/.test(v4) || address === "::1";
}

/** The strace lines of connect() calls to an internet address other than loopback. */
export function offLoopbackConnects(trace: string): string[] {
  return trace.split("\n").filter((line) => {
    if (!/\bconnect\(/.test(line) || !/sa_family=AF_INET6?\b/.test(line)) return false;
    const address = line.match(/inet_addr\("([^"]+)"\)/)?.[1] ?? line.match(/inet_pton\(AF_INET6, "([^"]+)"/)?.[1];
    return address === undefined || !isLoopback(address);
  });
}
