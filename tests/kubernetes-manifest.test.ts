/**
 * The Kubernetes manifests and the container file, checked without a cluster (none can run here:
 * no Docker, no Kubernetes). What is checked, and why it is enough to catch what breaks a Job:
 *
 * - A minimal schema of batch/v1 Job, written from the Kubernetes API reference (v1.33): every field
 *   of Job, ObjectMeta and JobSpec, and of the parts of PodSpec and Container that these manifests
 *   use, with their types; an unknown or misspelt field fails, as `kubectl apply --validate=strict`
 *   would. Not the whole OpenAPI schema (no npm package holding it is installed here, and vendoring
 *   ~650 kB of generated schema for two manifests is not worth it), so a field we do not use is
 *   reported as unknown to this check, not silently accepted.
 * - The API server's cross-field rules that apply (pkg/apis/batch/validation): an Indexed Job needs
 *   completions; backoffLimitPerIndex only with completionMode Indexed; a Job's pods restart Never or
 *   OnFailure (Never here, so a failed pod counts against its index's retries); names are DNS-1123
 *   labels; quantities parse; every volumeMount names a volume.
 * - The audit itself: the container's args parse with the real command-line parser for every index
 *   the Job runs (JOB_COMPLETION_INDEX 0..completions-1 gives shards 1..N, each once); --out is on a
 *   writable volume, --images and --labels on mounted ones.
 * - The container file: every COPY source exists, the install is offline (--network=none,
 *   npm ci --offline) and its entry point is the audit script.
 */
import {existsSync, readFileSync} from "node:fs";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {parseAuditArgs} from "../src/pipeline/node/audit/index.js";
import {REPO_ROOT} from "./helpers/paths.js";

type Schema =
  | "string"
  | "integer"
  | "boolean"
  | "quantity"
  | "dns-label"
  | {enum: string[]}
  | {array: Schema}
  | {map: Schema}
  | {object: Record<string, Schema>; required?: string[]};

const str = "string" as const;
const int = "integer" as const;
const bool = "boolean" as const;
const strings = {array: str};
const labels = {map: str};

const objectMeta: Schema = {
  object: {
    name: "dns-label",
    generateName: str,
    namespace: "dns-label",
    labels,
    annotations: labels,
    finalizers: strings,
    ownerReferences: {array: {map: str}}
  }
};
const keyRef = {object: {name: str, key: str, optional: bool}, required: ["key"]};
const envVar: Schema = {
  object: {
    name: str,
    value: str,
    valueFrom: {
      object: {
        fieldRef: {object: {apiVersion: str, fieldPath: str}, required: ["fieldPath"]},
        resourceFieldRef: {object: {containerName: str, resource: str, divisor: "quantity"}, required: ["resource"]},
        configMapKeyRef: keyRef,
        secretKeyRef: keyRef
      }
    }
  },
  required: ["name"]
};
const resources: Schema = {object: {limits: {map: "quantity"}, requests: {map: "quantity"}}};
const container: Schema = {
  object: {
    name: "dns-label",
    image: str,
    imagePullPolicy: {enum: ["Always", "Never", "IfNotPresent"]},
    command: strings,
    args: strings,
    workingDir: str,
    env: {array: envVar},
    resources,
    volumeMounts: {
      array: {object: {name: str, mountPath: str, readOnly: bool, subPath: str, subPathExpr: str, mountPropagation: str}, required: ["name", "mountPath"]}
    },
    securityContext: {object: {runAsUser: int, runAsGroup: int, runAsNonRoot: bool, readOnlyRootFilesystem: bool, allowPrivilegeEscalation: bool}}
  },
  required: ["name"]
};
const volume: Schema = {
  object: {
    name: "dns-label",
    persistentVolumeClaim: {object: {claimName: str, readOnly: bool}, required: ["claimName"]},
    nfs: {object: {server: str, path: str, readOnly: bool}, required: ["server", "path"]},
    hostPath: {object: {path: str, type: str}, required: ["path"]},
    emptyDir: {object: {medium: str, sizeLimit: "quantity"}},
    configMap: {object: {name: str, optional: bool, defaultMode: int}}
  },
  required: ["name"]
};
const podSpec: Schema = {
  object: {
    restartPolicy: {enum: ["Always", "OnFailure", "Never"]},
    containers: {array: container},
    initContainers: {array: container},
    volumes: {array: volume},
    securityContext: {object: {runAsUser: int, runAsGroup: int, runAsNonRoot: bool, fsGroup: int, supplementalGroups: {array: int}}},
    nodeSelector: labels,
    serviceAccountName: str,
    terminationGracePeriodSeconds: int,
    activeDeadlineSeconds: int,
    priorityClassName: str
  },
  required: ["containers"]
};
const job: Schema = {
  object: {
    apiVersion: {enum: ["batch/v1"]},
    kind: {enum: ["Job"]},
    metadata: objectMeta,
    spec: {
      // Every JobSpec field of batch/v1 (v1.33).
      object: {
        activeDeadlineSeconds: int,
        backoffLimit: int,
        backoffLimitPerIndex: int,
        completionMode: {enum: ["NonIndexed", "Indexed"]},
        completions: int,
        managedBy: str,
        manualSelector: bool,
        maxFailedIndexes: int,
        parallelism: int,
        podFailurePolicy: {object: {rules: {array: {map: str}}}},
        podReplacementPolicy: {enum: ["TerminatingOrFailed", "Failed"]},
        selector: {object: {matchLabels: labels}},
        successPolicy: {object: {rules: {array: {map: str}}}},
        suspend: bool,
        template: {object: {metadata: objectMeta, spec: podSpec}, required: ["spec"]},
        ttlSecondsAfterFinished: int
      },
      required: ["template"]
    }
  },
  required: ["apiVersion", "kind", "metadata", "spec"]
};

/** Every problem, with its path (e.g. spec.template.spec.containers[0].imagePullPolicy). */
function validate(value: unknown, schema: Schema, at = ""): string[] {
  const where = at || "(root)";
  if (schema === "string") return typeof value === "string" ? [] : [`${where}: expected a string`];
  if (schema === "boolean") return typeof value === "boolean" ? [] : [`${where}: expected a boolean`];
  if (schema === "integer") return Number.isInteger(value) && (value as number) >= 0 ? [] : [`${where}: expected a non-negative integer`];
  // resource.Quantity: a decimal number with an optional binary (Ki..Ei), decimal (m, k, M..E) or exponent suffix.
  if (schema === "quantity")
    return (typeof value === "string" && /^[+-]?(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/.test(value)) || Number.isFinite(value)
      ? []
      : [`${where}: ${JSON.stringify(value)} is not a quantity`];
  if (schema === "dns-label")
    return typeof value === "string" && value.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) ? [] : [`${where}: ${JSON.stringify(value)} is not a DNS-1123 label`];
  if ("enum" in schema) return schema.enum.includes(value as string) ? [] : [`${where}: ${JSON.stringify(value)} is not one of ${schema.enum.join(", ")}`];
  if ("array" in schema) {
    if (!Array.isArray(value)) return [`${where}: expected an array`];
    return value.flatMap((item, i) => validate(item, schema.array, `${at}[${i}]`));
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${where}: expected an object`];
  const record = value as Record<string, unknown>;
  if ("map" in schema) return Object.entries(record).flatMap(([k, v]) => validate(v, schema.map, `${at}.${k}`));
  const problems = (schema.required ?? []).filter((k) => !(k in record)).map((k) => `${where}: ${k} is required`);
  for (const [k, v] of Object.entries(record)) {
    const field = schema.object[k];
    problems.push(...(field ? validate(v, field, at ? `${at}.${k}` : k) : [`${where}: unknown field ${JSON.stringify(k)}`]));
  }
  return problems;
}

interface Container {
  name: string;
  args: string[];
  volumeMounts: {name: string; mountPath: string; readOnly?: boolean}[];
}
interface JobManifest {
  metadata: {name: string};
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    backoffLimitPerIndex?: number;
    podReplacementPolicy?: string;
    template: {spec: {restartPolicy?: string; containers: Container[]; volumes?: {name: string; persistentVolumeClaim?: {readOnly?: boolean}}[]}};
  };
}

/** The API server's cross-field rules that apply to these Jobs. */
function jobRules(manifest: JobManifest): string[] {
  const problems: string[] = [];
  const spec = manifest.spec;
  if (spec.completionMode === "Indexed" && spec.completions === undefined) problems.push("an Indexed Job needs spec.completions");
  if (spec.backoffLimitPerIndex !== undefined && spec.completionMode !== "Indexed") problems.push("backoffLimitPerIndex needs completionMode Indexed");
  const pod = spec.template.spec;
  if (!["Never", "OnFailure"].includes(pod.restartPolicy ?? "")) problems.push(`a Job's pods restart Never or OnFailure, not ${pod.restartPolicy ?? "(unset: Always)"}`);
  const volumes = new Set((pod.volumes ?? []).map((v) => v.name));
  for (const c of pod.containers)
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`container ${c.name} mounts ${m.name}, which is not a volume of the pod`);
  return problems;
}

const read = (file: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, file), "utf8")) as JobManifest;
const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];
/** The mount a path lies under (longest mount path first). */
const mountOf = (c: Container, file: string) =>
  [...c.volumeMounts].sort((a, b) => b.mountPath.length - a.mountPath.length).find((m) => file === m.mountPath || file.startsWith(m.mountPath.replace(/\/?$/, "/")));

describe("Kubernetes manifests", () => {
  it("the schema check catches what it should (misspelt field, bad enum, bad quantity, bad name, mount of no volume)", () => {
    const good = read("deploy/kubernetes/audit-indexed-job.json");
    expect(validate(good, job)).toEqual([]);
    const broken = structuredClone(good) as unknown as Record<string, any>;
    broken.spec.backofflimitPerIndex = 3;
    broken.spec.completionMode = "indexed";
    broken.spec.template.spec.containers[0].resources.limits.memory = "2 GB";
    broken.spec.template.spec.containers[0].name = "Audit_1";
    broken.spec.template.spec.containers[0].volumeMounts.push({name: "scratch", mountPath: "/tmp"});
    delete broken.spec.template.spec.restartPolicy;
    expect(validate(broken, job).sort()).toEqual([
      "spec.completionMode: \"indexed\" is not one of NonIndexed, Indexed",
      'spec.template.spec.containers[0].name: "Audit_1" is not a DNS-1123 label',
      'spec.template.spec.containers[0].resources.limits.memory: "2 GB" is not a quantity',
      'spec: unknown field "backofflimitPerIndex"'
    ]);
    expect(jobRules(broken as unknown as JobManifest)).toEqual([
      "backoffLimitPerIndex needs completionMode Indexed",
      "a Job's pods restart Never or OnFailure, not (unset: Always)",
      "container Audit_1 mounts scratch, which is not a volume of the pod"
    ]);
    delete broken.spec.completions;
    broken.spec.completionMode = "Indexed";
    expect(jobRules(broken as unknown as JobManifest)[0]).toBe("an Indexed Job needs spec.completions");
  });

  it("the Indexed Job: valid, per-index retries, and its args give each index its own shard through the real parser", () => {
    const manifest = read("deploy/kubernetes/audit-indexed-job.json");
    expect(validate(manifest, job)).toEqual([]);
    expect(jobRules(manifest)).toEqual([]);
    const spec = manifest.spec;
    expect(spec).toMatchObject({completionMode: "Indexed", podReplacementPolicy: "Failed"});
    expect(spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
    expect(spec.template.spec.restartPolicy).toBe("Never");
    const container = spec.template.spec.containers[0]!;
    const n = spec.completions!;
    expect(flag(container.args, "--shard")).toBe(`auto/${n}`);
    // Each index (JOB_COMPLETION_INDEX 0..n-1) is one shard, each shard once.
    const shards = Array.from({length: n}, (_, index) => {
      const command = parseAuditArgs(container.args, {JOB_COMPLETION_INDEX: String(index)});
      if (command.kind !== "audit") throw new Error(`the Job's args are not an audit: ${command.kind}`);
      return command.options.shard;
    });
    expect(shards).toEqual(Array.from({length: n}, (_, i) => ({index: i + 1, count: n})));
    // An index beyond completions is refused (a Job edited to more completions but not its args).
    expect(() => parseAuditArgs(container.args, {JOB_COMPLETION_INDEX: String(n)})).toThrow(/outside the job's/);
    // Inputs on mounted volumes; the output on a writable one (and not read-only at the claim).
    for (const name of ["--images", "--labels"]) expect(mountOf(container, flag(container.args, name)!), name).toBeDefined();
    const out = mountOf(container, flag(container.args, "--out")!)!;
    expect(out.readOnly ?? false).toBe(false);
    expect(spec.template.spec.volumes!.find((v) => v.name === out.name)!.persistentVolumeClaim?.readOnly ?? false).toBe(false);
  });

  it("the metrics Job: valid, reads the same output folder", () => {
    const metrics = read("deploy/kubernetes/audit-metrics-job.json");
    const audit = read("deploy/kubernetes/audit-indexed-job.json");
    expect(validate(metrics, job)).toEqual([]);
    expect(jobRules(metrics)).toEqual([]);
    const args = metrics.spec.template.spec.containers[0]!.args;
    expect(parseAuditArgs(args, {})).toEqual({kind: "metrics", out: flag(audit.spec.template.spec.containers[0]!.args, "--out")});
  });
});

describe("container file", () => {
  const text = readFileSync(path.join(REPO_ROOT, "deploy/audit.Dockerfile"), "utf8");
  it("copies only files that exist, installs offline from the lockfile, and runs the audit", () => {
    const copies = [...text.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
    expect(copies.length).toBeGreaterThan(0);
    for (const source of copies.flat()) expect(existsSync(path.join(REPO_ROOT, source)), source).toBe(true);
    expect(text).toMatch(/RUN --network=none .*\n\s*npm ci --offline/);
    const entry = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(text)![1]!) as string[];
    expect(entry).toEqual(["node", "--import", "tsx", "scripts/audit.ts"]);
    // Everything the image copies passes its .dockerignore.
    const ignore = readFileSync(path.join(REPO_ROOT, "deploy/audit.Dockerfile.dockerignore"), "utf8");
    for (const source of copies.flat()) expect(ignore).toContain(`!${source}`);
  });
});
