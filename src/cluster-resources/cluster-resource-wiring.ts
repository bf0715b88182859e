import type { Config } from "../config.js";
import { createKubeClient } from "../engine/k8s/kube-client.js";
import { loadKubeConfig } from "../engine/k8s/kube-config.js";
import type { Logger } from "../logger.js";
import type { Store } from "../storage/store.js";
import { type ClusterResourceMetrics, type ClusterResourceSync, createClusterResourceSync } from "./cluster-resource-sync.js";

export interface ClusterResourcesOptions {
  config: Config;
  store: Pick<Store, "projects" | "attributes">;
  logger: Logger;
  metrics?: ClusterResourceMetrics | undefined;
}

/** The cluster resource sync of a configuration (undefined when off); the kubeconfig is loaded now, so a bad one stops start-up. */
export function createClusterResources({ config, store, logger, metrics }: ClusterResourcesOptions): ClusterResourceSync | undefined {
  if (!config.clusterResources) return undefined;
  const kubeConfig = loadKubeConfig({ kubeconfig: config.k8sKubeconfig, context: config.k8sContext });
  return createClusterResourceSync({
    client: createKubeClient({ kubeConfig, timeoutMs: config.k8sRequestTimeoutMs }),
    store,
    domains: config.domains,
    namespaceTemplate: config.k8sNamespaceTemplate,
    templatePath: config.clusterResourcesTemplatePath,
    customData: config.clusterResourcesCustomData,
    intervalMs: config.clusterResourcesIntervalMs,
    logger,
    metrics,
  });
}
