import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MatchableResource } from "../../gen/flyteidl/admin/matchable_resource_pb.js";
import { Project_ProjectState as ProjectState } from "../../gen/flyteidl/admin/project_pb.js";
import { isTemplateFile, renderClusterTemplate, type RenderedTemplate, templateValues } from "../core/cluster-resource-templates.js";
import { namespaceOf } from "../core/k8s-template.js";
import type { DomainConfig } from "../config.js";
import type { KubeClient } from "../engine/k8s/kube-client.js";
import type { Logger } from "../logger.js";
import type { Store } from "../storage/store.js";

/** What happened to one template object (or namespace) in a pass. */
export type ClusterResourceResult = "created" | "updated" | "unchanged" | "error";

export interface ClusterResourceMetrics {
  applied(result: ClusterResourceResult): void;
}

/** Counts of one pass, for logs and tests. */
export type SyncStats = Record<ClusterResourceResult, number>;

export interface ClusterResourceSyncOptions {
  client: KubeClient;
  store: Pick<Store, "projects" | "attributes">;
  domains: readonly DomainConfig[];
  namespaceTemplate: string;
  /** Folder of templates; "" for namespaces only. */
  templatePath: string;
  /** Template values per domain id. */
  customData: Readonly<Record<string, Readonly<Record<string, string>>>>;
  intervalMs: number;
  logger: Logger;
  metrics?: ClusterResourceMetrics | undefined;
  /** 0..1, for the interval's jitter (default Math.random). */
  random?: () => number;
}

export interface ClusterResourceSync {
  /** One pass over every active project and domain. */
  syncAll(): Promise<SyncStats>;
  /** One project's domains (on project creation). */
  syncProject(project: string): Promise<SyncStats>;
  /** Runs a pass now and then every interval (jittered); passes never overlap. */
  start(): void;
  stop(): Promise<void>;
}

const MAX_PROJECTS = 10_000;
const PAGE = 500;
const MAX_TEMPLATE_FILES = 200;
const MAX_TEMPLATE_BYTES = 1024 * 1024;
/** Most (namespace, template) digests remembered; forgetting one only costs a patch that changes nothing. */
const MAX_APPLIED = 100_000;

/**
 * FlyteAdmin's cluster resource controller: every project-domain gets its
 * namespace and the objects of the template folder, rendered with its
 * values. Objects are created, or merged into when they exist and their
 * rendered text changed since this process last applied it; nothing is ever
 * deleted. A template that fails (bad variable, refused by the cluster) is
 * logged and counted; the others are still applied.
 */
export function createClusterResourceSync(o: ClusterResourceSyncOptions): ClusterResourceSync {
  const applied = new Map<string, string>();
  const namespaces = new Set<string>();
  const random = o.random ?? Math.random;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let started = false;
  let stopped = false;

  const count = (stats: SyncStats, result: ClusterResourceResult) => {
    stats[result]++;
    o.metrics?.applied(result);
  };

  /** The folder's templates, read once per pass. */
  const readTemplates = (): { name: string; text: string }[] => {
    if (o.templatePath === "") return [];
    let names: string[];
    try {
      names = readdirSync(o.templatePath).filter(isTemplateFile).sort();
    } catch (e) {
      o.logger.error("cluster resources: cannot read the template folder", { path: o.templatePath, error: String((e as Error).message) });
      return [];
    }
    if (names.length > MAX_TEMPLATE_FILES) {
      o.logger.error("cluster resources: too many templates; the first ones are applied", { path: o.templatePath, count: names.length, max: MAX_TEMPLATE_FILES });
      names = names.slice(0, MAX_TEMPLATE_FILES);
    }
    const out: { name: string; text: string }[] = [];
    for (const name of names) {
      const file = join(o.templatePath, name);
      try {
        const size = statSync(file).size;
        if (size > MAX_TEMPLATE_BYTES) throw new Error(`larger than ${MAX_TEMPLATE_BYTES} bytes`);
        out.push({ name, text: readFileSync(file, "utf8") });
      } catch (e) {
        o.logger.error("cluster resources: cannot read a template", { template: file, error: String((e as Error).message) });
      }
    }
    return out;
  };

  const clusterAttributes = async (project: string, domain: string): Promise<Record<string, string> | undefined> => {
    const found = await o.store.attributes.resolve({ project, domain, workflow: "", launchPlan: "", resourceType: MatchableResource.CLUSTER_RESOURCE });
    const target = found?.attributes.target;
    return target?.case === "clusterResourceAttributes" ? target.value.attributes : undefined;
  };

  const remember = <T>(map: Map<string, T> | Set<string>, key: string, value?: T) => {
    if (map.size >= MAX_APPLIED) map.clear();
    if (map instanceof Map) map.set(key, value as T);
    else map.add(key);
  };

  const syncNamespace = async (project: string, domain: string, templates: { name: string; text: string }[], stats: SyncStats) => {
    const namespace = namespaceOf(o.namespaceTemplate, project, domain);
    if (!namespaces.has(namespace)) {
      try {
        const outcome = await o.client.createNamespace(namespace, { project, domain });
        count(stats, outcome === "created" ? "created" : "unchanged");
        remember(namespaces, namespace);
      } catch (e) {
        count(stats, "error");
        o.logger.error("cluster resources: cannot create a namespace", { namespace, error: String((e as Error).message) });
        return;
      }
    }
    if (templates.length === 0) return;
    let values: Record<string, string>;
    try {
      values = templateValues({ namespace, project, domain }, o.customData[domain], await clusterAttributes(project, domain));
    } catch (e) {
      count(stats, "error");
      o.logger.error("cluster resources: cannot get the template values", { namespace, error: String((e as Error).message) });
      return;
    }
    for (const t of templates) {
      const key = `${namespace}\u0000${t.name}`;
      let rendered: RenderedTemplate;
      try {
        rendered = renderClusterTemplate(t.text, values);
      } catch (e) {
        count(stats, "error");
        o.logger.error("cluster resources: cannot render a template", { namespace, template: t.name, error: String((e as Error).message) });
        continue;
      }
      if (applied.get(key) === rendered.digest) {
        count(stats, "unchanged");
        continue;
      }
      let ok = true;
      for (const object of rendered.objects) {
        try {
          if ((await o.client.createObject(object)) === "created") count(stats, "created");
          else {
            await o.client.patchObject(object);
            count(stats, "updated");
          }
        } catch (e) {
          ok = false;
          count(stats, "error");
          o.logger.error("cluster resources: cannot apply a template", { namespace, template: t.name, kind: object.kind, name: object.metadata.name, error: String((e as Error).message) });
        }
      }
      if (ok) remember(applied, key, rendered.digest);
    }
  };

  const activeProjects = async (only?: string): Promise<string[]> => {
    if (only !== undefined) {
      const p = await o.store.projects.get(only);
      return p && p.state === ProjectState.ACTIVE ? [p.id] : [];
    }
    const ids: string[] = [];
    for (let offset = 0; offset < MAX_PROJECTS; offset += PAGE) {
      const page = await o.store.projects.list({ filters: [], limit: PAGE, offset });
      for (const p of page) if (p.state === ProjectState.ACTIVE) ids.push(p.id);
      if (page.length < PAGE) return ids;
    }
    o.logger.warn("cluster resources: more projects than one pass handles", { max: MAX_PROJECTS });
    return ids;
  };

  const pass = async (only?: string): Promise<SyncStats> => {
    const stats: SyncStats = { created: 0, updated: 0, unchanged: 0, error: 0 };
    const templates = readTemplates();
    for (const project of await activeProjects(only)) {
      for (const d of o.domains) await syncNamespace(project, d.id, templates, stats);
    }
    const level = stats.error > 0 ? "warn" : stats.created + stats.updated > 0 ? "info" : "debug";
    o.logger[level]("cluster resources synced", { ...(only ? { project: only } : {}), ...stats });
    return stats;
  };

  // Passes run one at a time: a project's own pass waits for the periodic one and the other way round.
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = (running ?? Promise.resolve()).catch(() => {}).then(run);
    running = next;
    return next;
  };

  const schedule = () => {
    if (stopped) return;
    const delay = Math.round(o.intervalMs * (1 + 0.1 * random()));
    timer = setTimeout(() => {
      serial(() => pass())
        .catch((e: unknown) => o.logger.error("cluster resources: the pass failed", { error: String((e as Error)?.message ?? e) }))
        .finally(schedule);
    }, delay);
    timer.unref();
  };

  return {
    syncAll: () => serial(() => pass()),
    syncProject: (project) => serial(() => pass(project)),
    start() {
      if (started || stopped) return;
      started = true;
      serial(() => pass())
        .catch((e: unknown) => o.logger.error("cluster resources: the pass failed", { error: String((e as Error)?.message ?? e) }))
        .finally(schedule);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
