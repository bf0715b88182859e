import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { ConfigError } from "../../config.js";

export interface KubeConfigOptions {
  /** A kubeconfig file; "" picks the pod's service account in a cluster, else KUBECONFIG or ~/.kube/config. */
  kubeconfig: string;
  /** The context to use; "" keeps the file's current one. */
  context: string;
  env?: Record<string, string | undefined>;
}

/**
 * Loads the cluster connection once, at start-up: a missing or malformed file,
 * an unknown context or a context without a cluster is a one-line ConfigError
 * instead of a failure at the first execution.
 */
export function loadKubeConfig({ kubeconfig, context, env = process.env }: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  const where = kubeconfig !== "" ? kubeconfig : env.KUBECONFIG ? env.KUBECONFIG : join(homedir(), ".kube", "config");
  try {
    if (kubeconfig !== "") {
      if (!existsSync(kubeconfig)) throw new ConfigError(`--k8s-kubeconfig: no such file ${kubeconfig}`);
      kc.loadFromFile(kubeconfig);
    } else if (env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
    } else if (env.KUBECONFIG || existsSync(where)) {
      kc.loadFromDefault();
    } else {
      throw new ConfigError(`--k8s-kubeconfig: not running in a cluster and no kubeconfig found at ${where}; name one with --k8s-kubeconfig`);
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`--k8s-kubeconfig: cannot load ${where}: ${oneLine(e)}`);
  }
  if (context !== "") {
    if (!kc.getContexts().some((c) => c.name === context)) throw new ConfigError(`--k8s-context: ${where} has no context ${JSON.stringify(context)}`);
    kc.setCurrentContext(context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ConfigError(`--k8s-kubeconfig: ${where} names no cluster for context ${JSON.stringify(kc.getCurrentContext())}`);
  try {
    new URL(cluster.server);
  } catch {
    throw new ConfigError(`--k8s-kubeconfig: cluster ${cluster.name} has no valid server URL (${JSON.stringify(cluster.server)})`);
  }
  return kc;
}

const oneLine = (e: unknown) => String((e as Error)?.message ?? e).split("\n")[0]!.trim();
